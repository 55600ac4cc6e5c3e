package io.isolate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
  /** The isolates' cgroup directories of every hierarchy (names start with "isolate-", probes excluded). */
  private static long isolateCgroups() throws Exception {
    long n = 0;
    for (Path hierarchy : List.of(Path.of("/sys/fs/cgroup"))) {
      try (Stream<Path> s = Files.walk(hierarchy, 5)) {
        n += s.filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith("isolate-")
            && !p.getFileName().toString().startsWith("isolate-probe")).count();
      } catch (java.io.UncheckedIOException e) {
        // a directory removed while we walked
      }
    }
    return n;
  }

  @Test
  void sigtermRemovesTheRunsCgroups() throws Exception {
    boolean os = Isolates.availability(IsolationLevel.OS).isAvailable();
    if (!os && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI=true and the OS level is unavailable");
    }
    Assumptions.assumeTrue(os, "the OS level is unavailable here");
    long before = isolateCgroups();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process cli = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "run", "--level", "os", "--timeout", "60s", "--", "/bin/sh", "-c", "echo ready; sleep 60")
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("ready", out.readLine(), "the workload started");
      assertTrue(isolateCgroups() > before, "the run has cgroups while it runs");
      new ProcessBuilder("kill", "-TERM", Long.toString(cli.pid())).start().waitFor();
      assertTrue(cli.waitFor(20, TimeUnit.SECONDS), "the command ended on SIGTERM");
      assertEquals(before, isolateCgroups(), "the run's cgroups are gone with the command");
    } finally {
      cli.destroyForcibly();
    }
  }
}
