package io.isolate.container.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.container.Prerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The driver this host offers, for real: limits written, process counted, everything removed. */
class RealCgroupTest {
  @Test
  void createsLimitsAndRemovesTheCgroupOnThisHost() throws IOException, InterruptedException {
    CgroupHost.Detection d = CgroupHost.detect();
    Prerequisites.require(d.found(), "a usable cgroup hierarchy: " + d.reason());
    Cgroup cg = d.driver().create("isolate-test-" + ProcessHandle.current().pid(),
        new CgroupLimits(32L << 20, 0.5, 16));
    Process p = new ProcessBuilder("/bin/sleep", "30").start();
    try {
      for (Path procs : cg.procsFiles()) {
        Files.writeString(procs, Long.toString(p.pid()));
      }
      assertFalse(cg.isEmpty());
      assertTrue(cg.stats().cpuTime() != null, cg.stats().toString());
    } finally {
      cg.close();
    }
    assertFalse(p.isAlive() && p.waitFor(2, java.util.concurrent.TimeUnit.SECONDS) == false, "killed on close");
    for (Path dir : cg.directories()) {
      assertFalse(Files.exists(dir), dir + " removed");
    }
    assertEquals(0, cg.stats().oomKills());
  }
}
