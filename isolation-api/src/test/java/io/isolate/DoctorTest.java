package io.isolate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The API module alone has no runtime and no provider: the doctor and build() must say so, per level, and name the
 * module to add.
 */
class DoctorTest {

  @Test
  void reportsEveryLevelWithTheMissingModule() {
    DoctorReport report = Isolates.doctor();
    assertEquals(IsolationLevel.values().length, report.levels().size());
    DoctorReport.LevelStatus os = report.level(IsolationLevel.OS);
    assertFalse(os.isAvailable());
    assertTrue(os.explanation().contains("io.isolate:provider-container"), os.explanation());
    assertTrue(report.toString().contains("UNAVAILABLE"));
  }

  @Test
  void buildFailsWithTheReasonInsteadOfFallingBack() {
    LevelUnavailableException e = assertThrows(LevelUnavailableException.class, () -> Isolate.builder()
        .level(IsolationLevel.OS).workload(Workload.command("/bin/true")).build());
    assertEquals(IsolationLevel.OS, e.level());
    assertTrue(e.getMessage().contains("no provider on the class path"), e.getMessage());
  }
}
