package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isolate.ExitResult;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Termination;
import io.isolate.Workload;
import java.time.Duration;
import java.util.Set;

/**
 * Fuzz target: any bytes as a PROCESS workload, through the public API, from parsing to instantiation and the
 * start of the guest: every module either runs to one of the documented ends under its limits, or is refused
 * with {@code FAILED_TO_START} and a reason. None may end in an internal error of the runtime, throw out of
 * {@code run()}, or outlive its wall time. {@code mvn verify} replays the committed corpus; {@code .ci/fuzz}
 * fuzzes it.
 */
class WasmModuleFuzzTest {
  private static final Set<Termination> DOCUMENTED = Set.of(Termination.EXITED, Termination.TIMEOUT,
      Termination.MEMORY_LIMIT, Termination.OUTPUT_LIMIT, Termination.CPU_LIMIT, Termination.TRAP,
      Termination.FAILED_TO_START);
  private static final Limits LIMITS = Limits.builder().wallTime(Duration.ofSeconds(2)).memoryBytes(64L << 20)
      .outputBytes(64 << 10).build();

  @FuzzTest
  void runsOrRefusesAnyModule(byte[] module) {
    Workload workload;
    try {
      workload = Workload.wasm(module);
    } catch (InvalidSpecException refused) { // an empty module: refused as a spec, before any isolate exists
      assertFalse(refused.getMessage().isBlank());
      return;
    }
    ExitResult result;
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(workload).limits(LIMITS)
        .build()) {
      result = isolate.run();
    }
    assertNotNull(result);
    assertTrue(DOCUMENTED.contains(result.termination()), result::toString);
    String detail = result.detail() == null ? "" : result.detail();
    // the runtime's own failures are reported as a trap whose detail starts so; a module can put the words in its
    // import names, which refusals quote, so the words alone prove nothing
    assertFalse(result.termination() == Termination.TRAP && detail.startsWith("internal error"), result::toString);
    if (result.termination() == Termination.FAILED_TO_START) {
      assertFalse(detail.isBlank(), "a refusal says why");
    }
  }
}
