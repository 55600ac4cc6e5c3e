package io.isolate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.IsolationLevel;
import io.isolate.Isolates;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** SIGTERM to the command ends its OS isolate and removes the isolate's cgroups before the command exits. */
class SignalCleanupTest {
  /** The isolate cgroups holding a process of {@code cli}'s tree: this run's alone, not other builds' meanwhile. */
  private static java.util.Set<Path> cgroupsOf(Process cli) throws Exception {
    return io.isolate.conformance.HostState.isolateCgroupsHolding(
        cli.descendants().map(ProcessHandle::pid).collect(java.util.stream.Collectors.toSet()));
  }

  @Test
  void sigtermRemovesTheRunsCgroups() throws Exception {
    boolean os = Isolates.availability(IsolationLevel.OS).isAvailable();
    if (!os && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI=true and the OS level is unavailable");
    }
    Assumptions.assumeTrue(os, "the OS level is unavailable here");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process cli = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "run", "--level", "os", "--timeout", "60s", "--", "/bin/sh", "-c", "echo ready; sleep 60")
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("ready", out.readLine(), "the workload started");
      java.util.Set<Path> cgroups = cgroupsOf(cli);
      assertFalse(cgroups.isEmpty(), "the run has cgroups while it runs");
      new ProcessBuilder("kill", "-TERM", Long.toString(cli.pid())).start().waitFor();
      assertTrue(cli.waitFor(20, TimeUnit.SECONDS), "the command ended on SIGTERM");
      assertEquals(List.of(), cgroups.stream().filter(Files::exists).toList(),
          "the run's cgroups are gone with the command");
    } finally {
      cli.destroyForcibly();
    }
  }
}
