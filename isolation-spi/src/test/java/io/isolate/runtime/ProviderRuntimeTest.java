package io.isolate.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.DoctorReport;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.Isolates;
import io.isolate.IsolationLevel;
import io.isolate.LevelUnavailableException;
import io.isolate.Workload;
import org.junit.jupiter.api.Test;

/**
 * The runtime as the API finds it: {@link Isolates} reaches it as a service, and it reaches the providers (here the
 * fake one, at PROCESS) as services in turn.
 */
class ProviderRuntimeTest {
  @Test
  void theApiFindsTheRuntimeAndTheRuntimeFindsTheProvider() {
    DoctorReport report = Isolates.doctor();
    assertTrue(report.level(IsolationLevel.PROCESS).isAvailable(), report::toString);
    assertEquals("fake", report.level(IsolationLevel.PROCESS).provider(), report::toString);
    DoctorReport.LevelStatus os = report.level(IsolationLevel.OS);
    assertFalse(os.isAvailable());
    assertTrue(os.explanation().contains("io.isolate:provider-container"), os.explanation());
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm("print hi".getBytes(java.nio.charset.StandardCharsets.UTF_8))).build()) {
      assertEquals("hi\n", isolate.run().stdoutText());
      assertEquals(DefaultIsolate.class, isolate.getClass());
    }
  }

  @Test
  void aSystemPropertySwitchesALevelOff() {
    System.setProperty("isolate.process.disabled", "true");
    try {
      assertTrue(Isolates.availability(IsolationLevel.PROCESS).explanation().contains("isolate.process.disabled"));
      assertThrows(LevelUnavailableException.class, () -> Isolate.builder().level(IsolationLevel.PROCESS)
          .workload(Workload.wasm(new byte[] {1})).build());
    } finally {
      System.clearProperty("isolate.process.disabled");
    }
  }

  @Test
  void aWorkloadOfAnotherKindIsAWrongSpecNotAMissingLevel() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Isolate.builder()
        .level(IsolationLevel.PROCESS).workload(Workload.command("/bin/true")).build());
    assertTrue(e.getMessage().contains("runs WASM_MODULE workloads"), e.getMessage());
  }
}
