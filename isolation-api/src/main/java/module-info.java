/**
 * The isolation API: the builder, the value types, the results. Providers implement the SPI, which lives in its own
 * module ({@code io.isolate.spi}, artifact {@code isolation-spi}) with the runtime that finds them: applications see
 * the API alone.
 */
module io.isolate {
  exports io.isolate;
  exports io.isolate.internal to io.isolate.spi;

  uses io.isolate.internal.IsolateRuntime;
}
