package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** When the JVM dies (even by SIGKILL), its isolates die with it: PR_SET_PDEATHSIG on helper and init. */
class DiesWithTheJvmTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireCgroups();
  }

  /** The processes carrying the marker and their parents, except this JVM. */
  private static java.util.Set<Long> isolateTree(String marker) {
    java.util.Set<Long> pids = new java.util.TreeSet<>();
    // each match and its ancestors up to this JVM: the helper's command line (its seccomp program in hex comes
    // before the workload's command) may be longer than what the JDK reads of it, so it is found as an ancestor
    ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(marker)).forEach(p -> {
      for (ProcessHandle h = p; h != null && h.pid() != ProcessHandle.current().pid(); h = h.parent().orElse(null)) {
        pids.add(h.pid());
      }
    });
    pids.remove(ProcessHandle.current().pid());
    return pids;
  }

  private static long alive(java.util.Set<Long> pids) {
    return pids.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).count();
  }

  /** The run directories under {@code runRoot} that the command lines of {@code tree} name (the helper's files). */
  private static java.util.Set<Path> runDirsOf(java.util.Set<Long> tree, Path runRoot) {
    java.util.Set<Path> found = new java.util.TreeSet<>();
    String prefix = runRoot.toString() + "/";
    for (long pid : tree) {
      try {
        for (String arg : new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")),
            StandardCharsets.UTF_8).split("\0")) {
          int at = arg.indexOf(prefix);
          if (at >= 0) {
            String rest = arg.substring(at + prefix.length());
            int slash = rest.indexOf('/');
            String name = slash < 0 ? rest : rest.substring(0, slash);
            if (name.startsWith("iso-")) { // not the files shared by every run (the masks)
              found.add(runRoot.resolve(name));
            }
          }
        }
      } catch (IOException gone) {
        // ended meanwhile
      }
    }
    return found;
  }

  @Test
  void killingTheJvmWithSigkillKillsEveryProcessOfItsIsolates() throws Exception {
    String marker = "2000." + ProcessHandle.current().pid() + System.nanoTime() % 1000;
    String javaCommand = ProcessHandle.current().info().command().orElse("java");
    Process jvm = new ProcessBuilder(javaCommand, "-cp", System.getProperty("java.class.path"),
        JvmThatDies.class.getName(), marker).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertEquals("started", line, "the child JVM did not start its isolate");
      // init blanks its command line, so it is found as the parent of the workload's sh
      java.util.Set<Long> tree = isolateTree(marker);
      assertEquals(6, tree.size(), "JVM, helper, init, sh and two sleeps: " + tree);
      java.util.Set<Path> cgroups = io.isolate.conformance.HostState.isolateCgroupsHolding(tree);
      assertFalse(cgroups.isEmpty(), "the isolate's cgroups were found: " + tree);
      java.util.Set<Path> runDirs = runDirsOf(tree, ContainerProvider.runRoot());
      assertFalse(runDirs.isEmpty(), "the isolate's run directory was found: " + tree);
      jvm.destroyForcibly();
      jvm.waitFor(10, TimeUnit.SECONDS);
      long left = alive(tree);
      for (int i = 0; i < 100 && left > 0; i++) {
        Thread.sleep(20);
        left = alive(tree);
      }
      assertEquals(0, left, "isolate processes outlived their JVM");
      // what the dead JVM could not remove, the next probe sweeps (here without the minute of grace)
      ContainerIsolate.sweepStaleRunDirectories(ContainerProvider.runRoot());
      io.isolate.container.cgroup.CgroupHost.sweepStale(
          io.isolate.container.cgroup.CgroupHost.detect().driver(), java.time.Duration.ZERO);
      assertEquals(List.of(), cgroups.stream().filter(Files::exists).toList(), "cgroups of the dead JVM swept");
      assertEquals(List.of(), runDirs.stream().filter(Files::exists).toList(), "run directory of the dead JVM swept");
    } finally {
      jvm.destroyForcibly();
    }
  }
}
