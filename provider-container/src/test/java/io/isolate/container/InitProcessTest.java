package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.helper.HelperStatus;
import io.isolate.container.seccomp.SeccompProfile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The helper's init (pid 1 of the isolate): reaps orphans, forwards signals, reports the workload's end. */
class InitProcessTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireOsLevel();
  }

  @Test
  void orphanedProcessesAreReapedByInit() {
    try (Isolate isolate = Os.sh("for i in 1 2 3 4 5; do (sleep 0.05 &); done; sleep 0.5;"
        + " grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l").build()) {
      ExitResult r = isolate.run();
      assertEquals("0\n", r.stdoutText(), r::toString);
    }
  }

  @Test
  void theWorkloadIsNotPidOneAndInitIsTheHelper() {
    try (Isolate isolate = Os.sh("echo $$; cat /proc/1/comm").build()) {
      String out = isolate.run().stdoutText();
      assertEquals("2\n", out.lines().findFirst().orElse("") + "\n");
      assertTrue(out.contains("isolate-helper"), out);
    }
  }

  @Test
  void sigtermToTheHelperReachesTheWorkloadThroughInit(@TempDir Path tmp) throws Exception {
    Path status = tmp.resolve("status");
    Path runRoot = ContainerProvider.runRoot();
    List<String> argv = new SandboxPolicy(HostLayout.REAL).command(
        Os.sh("trap 'echo got-term; exit 3' TERM; echo ready; sleep 30 & wait").spec(),
        new SandboxPolicy.Inputs(HelperBinary.path(), status, Path.of("/tmp"), HelperBinary.currentUid(),
            HelperBinary.currentGid(), List.of(), List.of(), List.of(), SeccompProfile.of(List.of(), List.of())
            .toBpf(), runRoot.resolve(ContainerProvider.EMPTY_FILE), runRoot.resolve(ContainerProvider.EMPTY_DIR), List.of()))
        .argv();
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().clear();
    Process helper = pb.start();
    byte[] ready = helper.getInputStream().readNBytes(6);
    assertEquals("ready\n", new String(ready, StandardCharsets.UTF_8));
    var rest = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return new String(helper.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        return e.toString();
      }
    });
    // SIGTERM to the helper alone (Process.destroy() would also close our end of its pipes)
    new ProcessBuilder("kill", "-TERM", Long.toString(helper.pid())).start().waitFor();
    assertTrue(helper.waitFor(5, TimeUnit.SECONDS));
    assertEquals("got-term\n", rest.get(5, TimeUnit.SECONDS));
    assertEquals(3, helper.exitValue());
    assertEquals(3, HelperStatus.read(status).exitCode());
  }

  /** The helper of the one isolate this JVM runs now, found among this JVM's children. */
  private static ProcessHandle helperProcess() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      var found = ProcessHandle.current().children()
          .filter(p -> p.info().command().orElse("").contains("isolate-helper")).findFirst();
      if (found.isPresent() && found.get().children().findAny().isPresent()) {
        return found.get();
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("no isolate helper with an init among this JVM's children");
  }

  @Test
  void anInitKilledFromOutsideWhileTheWorkloadRunsIsReportedAsKilledNotAsAFailedStart(@TempDir Path shared)
      throws Exception {
    for (boolean killInit : new boolean[] {true, false}) {
      java.nio.file.Files.deleteIfExists(shared.resolve("ready"));
      try (Isolate isolate = Os.sh("touch /shared/ready; sleep 30")
          .mount(io.isolate.Mount.readWrite(shared, "/shared")).build()) {
        var execution = isolate.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!java.nio.file.Files.exists(shared.resolve("ready")) && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        ProcessHandle helper = helperProcess();
        long victim = killInit ? helper.children().findFirst().orElseThrow().pid() : helper.pid();
        new ProcessBuilder("kill", "-KILL", Long.toString(victim)).start().waitFor();
        ExitResult r = execution.onExit().get(10, TimeUnit.SECONDS);
        assertEquals(io.isolate.Termination.KILLED, r.termination(), r::toString);
        assertTrue(r.detail().contains("ended from outside while the workload ran"), r::toString);
      }
    }
  }
}
