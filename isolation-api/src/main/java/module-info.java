/**
 * The isolation API: the builder, the value types, the results. The provider SPI ({@code io.isolate.spi}) is
 * exported only to the provider modules and the JUnit 5 extension: applications see the API alone.
 */
module io.isolate {
  exports io.isolate;
  exports io.isolate.spi to io.isolate.wasm, io.isolate.container, io.isolate.vm, io.isolate.pv, io.isolate.junit5;

  uses io.isolate.spi.IsolationProvider;
}
