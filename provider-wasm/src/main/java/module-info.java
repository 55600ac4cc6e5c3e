/** The PROCESS level: WebAssembly on Chicory. Exports only its settings; the provider is found as a service. */
module io.isolate.wasm {
  requires io.isolate.spi;
  requires com.dylibso.chicory.runtime;
  requires com.dylibso.chicory.wasi;
  requires com.dylibso.chicory.compiler;
  requires com.dylibso.chicory.wasm;
  requires com.github.benmanes.caffeine;
  requires com.google.common.jimfs;
  requires java.management;

  exports io.isolate.wasm;

  provides io.isolate.spi.IsolationProvider with io.isolate.wasm.WasmProvider;
}
