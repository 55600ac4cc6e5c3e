package io.isolate.fake;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.isolate.conformance.LevelConformance;
import java.nio.charset.StandardCharsets;

/**
 * The conformance kit against the fake provider: {@code DefaultIsolate} (events, idempotent close, state checks)
 * driven through the SPI with no real level below it, so that a failure here is the API's, not a provider's.
 */
class FakeConformanceTest extends LevelConformance {
  private static Workload program(String text) {
    return Workload.wasm(text.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  protected Isolate.Builder builder(Workload workload) {
    return Isolate.builder().level(IsolationLevel.PROCESS).workload(workload);
  }

  @Override
  protected Workload printer() {
    return program("print hello");
  }

  @Override
  protected String printed() {
    return "hello\n";
  }

  @Override
  protected Workload exiter(int code) {
    return program("exit " + code);
  }

  @Override
  protected Workload cat() {
    return program("cat");
  }

  @Override
  protected Workload spinner() {
    return program("spin");
  }

  @Override
  protected Workload flooder() {
    return program("flood");
  }

  @Override
  protected Workload hoarder() {
    return program("hoard");
  }

  @Override
  protected Workload environmentPrinter() {
    return program("env");
  }
}
