/**
 * The provider SPI ({@code io.isolate.spi}), for the modules that implement an isolation level, and the runtime
 * behind {@link io.isolate.Isolates} that finds them and wraps what they make (not exported). Every provider
 * requires this module; applications require {@code io.isolate} alone.
 */
module io.isolate.spi {
  requires transitive io.isolate;

  exports io.isolate.spi;

  uses io.isolate.spi.IsolationProvider;

  provides io.isolate.internal.IsolateRuntime with io.isolate.runtime.ProviderRuntime;
}
