package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Termination;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Commands run inside a running isolate, as Testcontainers' execInContainer: same namespaces, cgroup, user, limits. */
class ExecTest {
  @BeforeAll
  static void osLevel() {
    Prerequisites.requireCgroups();
  }

  @Test
  void aCommandSeesTheRunningIsolateFromInside() {
    try (Isolate isolate = Os.command("/bin/sh", "-c", "echo from-the-workload > /tmp/shared; exec sleep 30")
        .mount(Mount.tmpfs("/tmp", 1 << 20)).hostname("exec-me").build()) {
      assertThrows(IllegalStateException.class, () -> isolate.exec("/bin/true"), "no workload yet");
      Execution running = isolate.start();
      ExitResult r = null;
      for (int i = 0; i < 100; i++) { // the workload writes the file right after it starts
        r = isolate.exec("/bin/sh", "-c", "cat /tmp/shared && hostname && ps -e -o comm= | sort | tr '\\n' ' '");
        if (r.isSuccess()) {
          break;
        }
      }
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertTrue(r.stdoutText().startsWith("from-the-workload\nexec-me\n"), r.stdoutText());
      assertTrue(r.stdoutText().contains("sleep"), "the workload's processes are visible: " + r.stdoutText());
      ExitResult failing = isolate.exec("/bin/sh", "-c", "echo to-stderr >&2; exit 3");
      assertEquals(3, failing.exitCode(), failing::toString);
      assertEquals("to-stderr\n", failing.stderrText());
      ExitResult missing = isolate.exec("/no/such/program");
      assertEquals(Termination.FAILED_TO_START, missing.termination(), missing::toString);
      assertTrue(running.isAlive(), "exec leaves the workload running");
    }
  }

  /**
   * A command run the moment the workload is started joins the finished isolate: the helper names the isolate's init
   * as soon as it exists, before init has built the isolate (its mounts, its cgroup namespace), and a command joining
   * then failed with "setns(cgroup of PID): Operation not permitted" or would have seen half of it.
   */
  @Test
  void aCommandRightAfterStartJoinsTheFinishedIsolate() {
    for (int i = 0; i < 20; i++) {
      try (Isolate isolate = Os.command("/bin/sleep", "30").limits(Limits.builder().wallTime(Duration.ofSeconds(20))
          .build()).build()) {
        isolate.start();
        ExitResult r = isolate.exec("/bin/sh", "-c", "cat /proc/1/cmdline >/dev/null && echo joined");
        assertEquals("joined\n", r.stdoutText(), "round " + i + ": " + r);
      }
    }
  }

  @Test
  void aCommandRunsAsTheWorkloadsUserUnderItsLimits() {
    Prerequisites.require(io.isolate.container.helper.HelperBinary.currentUid() == 0, "a JVM running as root");
    try (Isolate isolate = Os.command("/bin/sleep", "30").user(1234, 1234)
        .limits(Limits.builder().pids(8).wallTime(Duration.ofSeconds(20)).build()).build()) {
      io.isolate.Execution execution = isolate.start();
      ExitResult id = isolate.exec("/bin/sh", "-c", "id -u; grep -c . /proc/self/status >/dev/null; echo ok");
      assertEquals("1234\nok\n", id.stdoutText(), id::toString);
      // the isolate's pids limit holds for what exec starts too: the fork bomb cannot pass 8 tasks in all. Either the
      // command sees its fork refused first, or the isolate's monitor sees the refused fork first and stops the whole
      // isolate for its pids limit, which ends the command with it
      ExitResult bomb = isolate.exec("/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done; wait");
      if (bomb.termination() == Termination.EXITED) {
        assertTrue(bomb.exitCode() != 0 || bomb.stderrText().contains("fork")
            || bomb.stderrText().contains("Resource"), bomb::toString);
      } else {
        ExitResult whole = execution.onExit().join();
        assertEquals(Termination.PIDS_LIMIT, whole.termination(), () -> bomb + " / " + whole);
      }
    }
  }

  @Test
  void filesAreCopiedInAndOutAsTheWorkloadSeesThem(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    try (Isolate isolate = Os.command("/bin/sh", "-c", "echo made-inside > /tmp/inside; exec sleep 30")
        .mount(Mount.tmpfs("/tmp", 1 << 20)).build()) {
      java.nio.file.Path host = java.nio.file.Files.writeString(tmp.resolve("in.txt"), "from the host\n");
      assertThrows(IllegalStateException.class, () -> isolate.copyToIsolate(host, "/tmp/copied"), "not running");
      isolate.start();
      isolate.copyToIsolate(host, "/tmp/copied");
      assertEquals("from the host\n", isolate.exec("/bin/cat", "/tmp/copied").stdoutText());
      java.nio.file.Path out = tmp.resolve("out.txt");
      for (int i = 0; i < 100 && !java.nio.file.Files.exists(out); i++) {
        try {
          isolate.copyFromIsolate("/tmp/inside", out);
        } catch (java.io.IOException notYetWritten) {
          Thread.sleep(20);
        }
      }
      assertEquals("made-inside\n", java.nio.file.Files.readString(out));
      // a failed copy leaves the host file as it was
      java.io.IOException e = assertThrows(java.io.IOException.class,
          () -> isolate.copyFromIsolate("/tmp/absent", out));
      assertTrue(e.getMessage().contains("/tmp/absent"), e.getMessage());
      assertEquals("made-inside\n", java.nio.file.Files.readString(out));
      // the isolate's read-only root stays read-only for copies too
      assertThrows(java.io.IOException.class, () -> isolate.copyToIsolate(host, "/usr/bin/planted"));
      assertTrue(!java.nio.file.Files.exists(java.nio.file.Path.of("/usr/bin/planted")));
    }
  }
}
