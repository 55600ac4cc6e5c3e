package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.container.cgroup.CgroupHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bombs and limits: each ends with its own termination and leaves nothing behind on the host. */
class LimitsTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireCgroups();
  }

  private static Limits.Builder limits() {
    return Limits.builder().wallTime(Duration.ofSeconds(20));
  }

  @Test
  void aForkBombEndsAsPidsLimit() {
    try (Isolate isolate = Os.sh("bomb() { bomb | bomb & }; bomb; sleep 15")
        .limits(limits().pids(32).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.PIDS_LIMIT, r.termination(), r::toString);
      assertTrue(r.detail().contains("pids limit 32"), r.detail());
    }
  }

  @Test
  void thePidsLimitCountsTheWorkloadsProcessesNotTheIsolatesInit() {
    try (Isolate isolate = Os.command("/bin/true").limits(limits().pids(1).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
    }
    try (Isolate isolate = Os.sh("/bin/true; echo forked").limits(limits().pids(1).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.PIDS_LIMIT, r.termination(), r::toString);
    }
  }

  @Test
  void memoryInTmpfsCountsAgainstTheLimit() {
    try (Isolate isolate = Os.sh("head -c 100000000 /dev/zero > /tmp/big; echo survived")
        .limits(limits().memory(32, SizeUnit.MEGABYTES).build()).build()) {
      ExitResult r = isolate.run();
      assertFalse(r.stdoutText().contains("survived") && r.termination() == Termination.EXITED, r::toString);
    }
  }

  @Test
  void theCpuTimeOfEveryProcessCountsAndSleepingDoesNot() {
    // two spinning processes on two CPUs: the limit counts them both and ends the whole tree
    try (Isolate isolate = Os.sh("while :; do :; done & while :; do :; done")
        .limits(limits().cpus(2).cpuTime(Duration.ofMillis(300)).wallTime(Duration.ofSeconds(20)).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.CPU_LIMIT, r.termination(), r::toString);
      assertTrue(r.detail().contains("CPU-time limit"), r.detail());
      assertTrue(r.usage().wallTime().toMillis() < 5_000, r::toString);
    }
    try (Isolate isolate = Os.sh("sleep 0.5; echo rested")
        .limits(limits().cpuTime(Duration.ofMillis(300)).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertEquals("rested\n", r.stdoutText());
    }
  }

  @Test
  void theWallTimeoutKillsTheWholeProcessTree() throws Exception {
    String marker = "1000." + Math.abs(UUID.randomUUID().getMostSignificantBits() % 1_000_000);
    try (Isolate isolate = Os.sh("echo before; sleep " + marker + " & sleep " + marker + " & sleep " + marker)
        .limits(limits().wallTime(Duration.ofMillis(500)).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.TIMEOUT, r.termination(), r::toString);
      assertEquals("before\n", r.stdoutText(), "output written before the timeout is kept");
      assertTrue(r.usage().wallTime().toMillis() < 5000, r::toString);
    }
    Thread.sleep(100);
    long left = ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains(marker)).count();
    assertEquals(0, left, "processes left behind");
  }

  @Test
  void theWorkloadRunsInTheIsolatesCgroupInEveryHierarchy() throws Exception {
    // on cgroup v1 init moves itself in through the tasks files (see Cgroup.selfJoinFiles): check each hierarchy
    String marker = "30." + System.nanoTime() % 100000;
    try (Isolate isolate = Os.command("/bin/sleep", marker).build()) {
      var execution = isolate.start();
      ProcessHandle workload = null;
      for (int i = 0; i < 200 && workload == null; i++) {
        workload = ProcessHandle.allProcesses().filter(p -> { // the helper and init carry the marker too, after "--"
          String line = p.info().commandLine().orElse("");
          return line.endsWith("sleep " + marker) && !line.contains(" -- ");
        }).findFirst().orElse(null);
        Thread.sleep(10);
      }
      assertTrue(workload != null, "the workload started");
      List<String> lines = Files.readAllLines(Path.of("/proc/" + workload.pid() + "/cgroup"));
      Set<String> joined = new TreeSet<>();
      for (String line : lines) {
        String[] f = line.split(":", 3);
        if (f[2].contains("/isolate-")) {
          joined.addAll(List.of(f[1].split(",")));
        }
      }
      boolean v1 = CgroupHost.detect().driver().describe().startsWith("cgroup v1");
      List<String> expected = v1 ? List.of("cpu", "cpuacct", "memory", "pids") : List.of(""); // "" is v2's line
      assertTrue(joined.containsAll(expected), "in the isolate's cgroup for " + expected + ": " + lines);
      execution.kill();
      assertEquals(Termination.KILLED, execution.await().termination());
    }
  }

  @Test
  void aCpuQuotaCapsTheShareOfCpuTimeASpinningWorkloadGets() {
    // about half a second of CPU: over many 100 ms CFS periods, so that the first period's burst does not weigh
    // (with a fifth of that, a quota of 0.25 measured 0.35 on a busy host)
    String spin = "i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done";
    try (Isolate isolate = Os.sh(spin).limits(limits().cpus(0.25).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      double cpu = r.usage().cpuTime().orElseThrow().toNanos();
      double wall = r.usage().wallTime().toNanos();
      assertTrue(cpu > 300e6, "spun long enough to measure: " + r);
      assertTrue(cpu / wall < 0.35, "a quarter of one CPU, measured " + cpu / wall + ": " + r);
    }
  }

  @Test
  void theWorkloadCannotRaiseItsLimits() {
    try (Isolate isolate = Os.sh("ulimit -n 100000 2>/dev/null && echo raised-nofile;"
        + " ls /sys/fs/cgroup 2>/dev/null | head -1; cat /proc/self/status | grep -E '^(CapEff|NoNewPrivs|Seccomp):'")
        .build()) {
      ExitResult r = isolate.run();
      String out = r.stdoutText();
      assertFalse(out.contains("raised-nofile"), out);
      assertTrue(out.contains("CapEff:\t0000000000000000"), out);
      assertTrue(out.contains("NoNewPrivs:\t1"), out);
      assertTrue(out.contains("Seccomp:\t2"), out);
    }
  }
}
