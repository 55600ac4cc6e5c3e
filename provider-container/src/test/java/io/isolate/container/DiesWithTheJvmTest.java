package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** When the JVM dies (even by SIGKILL), its isolates die with it: PR_SET_PDEATHSIG on helper and init. */
class DiesWithTheJvmTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireCgroups();
  }

  private static long processesWith(String marker) {
    return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(marker)).count();
  }

  @Test
  void killingTheJvmWithSigkillKillsEveryProcessOfItsIsolates() throws Exception {
    String marker = "2000." + ProcessHandle.current().pid() + System.nanoTime() % 1000;
    NoLeaksTest.Counts before = NoLeaksTest.counts();
    String javaCommand = ProcessHandle.current().info().command().orElse("java");
    Process jvm = new ProcessBuilder(javaCommand, "-cp", System.getProperty("java.class.path"),
        JvmThatDies.class.getName(), marker).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertEquals("started", line, "the child JVM did not start its isolate");
      assertEquals(6, processesWith(marker), "JVM, helper, init, sh and two sleeps carry the marker");
      jvm.destroyForcibly();
      jvm.waitFor(10, TimeUnit.SECONDS);
      long left = processesWith(marker);
      for (int i = 0; i < 100 && left > 0; i++) {
        Thread.sleep(20);
        left = processesWith(marker);
      }
      assertEquals(0, left, "isolate processes outlived their JVM");
      // what the dead JVM could not remove, the next probe sweeps (here without the minute of grace)
      ContainerIsolate.sweepStaleRunDirectories(ContainerProvider.runRoot());
      io.isolate.container.cgroup.CgroupHost.sweepStale(
          io.isolate.container.cgroup.CgroupHost.detect().driver(), java.time.Duration.ZERO);
      NoLeaksTest.Counts after = NoLeaksTest.counts();
      assertEquals(before.cgroupDirs(), after.cgroupDirs(), "cgroups of the dead JVM swept");
      assertEquals(before.runDirs(), after.runDirs(), "run directory of the dead JVM swept");
    } finally {
      jvm.destroyForcibly();
    }
  }
}
