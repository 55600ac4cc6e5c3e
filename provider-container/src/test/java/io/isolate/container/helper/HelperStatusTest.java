package io.isolate.container.helper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HelperStatusTest {
  @Test
  void parsesAnExitWithUsage() {
    HelperStatus s = HelperStatus.parse(List.of("exit 3", "rusage 1500 500 2048"));
    assertEquals(3, s.exitCode());
    assertEquals(Duration.ofMillis(2), s.cpuTime());
    assertEquals(2048 * 1024, s.maxRssBytes());
    assertTrue(s.workloadEnded());
    assertNull(s.setupError());
  }

  @Test
  void keepsTheFirstSetupErrorAndTheExecErrorMessage() {
    HelperStatus s = HelperStatus.parse(List.of("setup-error isolate-helper.c:12: mount: Permission denied",
        "setup-error later", "exec-error 2 /x: No such file or directory", "signal 9", "garbage", "exit"));
    assertEquals("isolate-helper.c:12: mount: Permission denied", s.setupError());
    assertEquals("/x: No such file or directory", s.execError());
    assertEquals(9, s.signal());
    assertEquals(-1, s.exitCode());
  }

  @Test
  void anEmptyStatusMeansTheWorkloadNeverRan() {
    assertFalse(HelperStatus.parse(List.of()).workloadEnded());
    assertFalse(HelperStatus.parse(List.of("rusage x y")).workloadEnded());
  }
}
