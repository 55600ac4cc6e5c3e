package io.isolate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The API module alone has no provider: the doctor and build() must say so, per level, and name the module. */
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

  @Test
  void aSystemPropertySwitchesALevelOff() {
    System.setProperty("isolate.process.disabled", "true");
    try {
      assertTrue(Isolates.availability(IsolationLevel.PROCESS).explanation().contains("isolate.process.disabled"));
    } finally {
      System.clearProperty("isolate.process.disabled");
    }
  }
}
