package io.isolate.wasm;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.isolate.conformance.LevelConformance;

/** The conformance kit at PROCESS, with the C programs of {@code src/test/c} built for WASI. */
class ProcessConformanceTest extends LevelConformance {
  @Override
  protected Isolate.Builder builder(Workload workload) {
    return Isolate.builder().level(IsolationLevel.PROCESS).workload(workload);
  }

  @Override
  protected Workload printer() {
    return Workload.wasm(Fixtures.wasm("hello"));
  }

  @Override
  protected String printed() {
    return "hello from wasm\n";
  }

  @Override
  protected Workload exiter(int code) {
    return Workload.wasm(Fixtures.wasm("exitcode"), Integer.toString(code));
  }

  @Override
  protected Workload cat() {
    return Workload.wasm(Fixtures.wasm("cat"));
  }

  @Override
  protected Workload spinner() {
    return Workload.wasm(Fixtures.wasm("loop"));
  }

  @Override
  protected Workload flooder() {
    return Workload.wasm(Fixtures.wasm("flood"));
  }

  @Override
  protected Workload hoarder() {
    return Workload.wasm(Fixtures.wasm("membomb"));
  }

  @Override
  protected Workload environmentPrinter() {
    return Workload.wasm(Fixtures.wasm("echo"));
  }
}
