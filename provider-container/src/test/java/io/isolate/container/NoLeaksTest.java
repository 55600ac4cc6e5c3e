package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Termination;
import io.isolate.container.helper.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** 500 create/run/close cycles leave the counts of fds, cgroup dirs, mounts, processes and run dirs unchanged. */
class NoLeaksTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireCgroups();
  }

  record Counts(long fds, long cgroupDirs, long mounts, long children, long runDirs) {}

  static Counts counts() throws IOException {
    long fds;
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      fds = s.count();
    }
    long cgroups = 0;
    for (MountInfo.Entry m : MountInfo.read()) {
      if (m.fsType().startsWith("cgroup")) {
        try (Stream<Path> s = Files.walk(Path.of(m.mountPoint()), 4)) {
          cgroups += s.filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith("isolate-"))
              .count();
        } catch (IOException | java.io.UncheckedIOException e) {
          // a hierarchy we cannot list holds none of ours
        }
      }
    }
    long runDirs = 0;
    Path run = ContainerProvider.runRoot();
    if (Files.isDirectory(run)) {
      try (Stream<Path> s = Files.list(run)) {
        runDirs = s.count();
      }
    }
    return new Counts(fds, cgroups, MountInfo.read().size(), ProcessHandle.current().descendants().count(),
        runDirs);
  }

  @Test
  void fiveHundredCreateCloseCyclesLeaveNothingBehind() throws Exception {
    try (Isolate warm = Os.command("/bin/true").build()) {
      warm.run();
    }
    Thread.sleep(200);
    Counts before = counts();
    for (int i = 0; i < 500; i++) {
      try (Isolate isolate = Os.command(i % 50 == 0 ? "/bin/sleep" : "/bin/true", "10").build()) {
        if (i % 50 == 0) {
          var e = isolate.start();
          e.kill();
          assertEquals(Termination.KILLED, e.await().termination());
        } else {
          ExitResult r = isolate.run();
          assertEquals(Termination.EXITED, r.termination(), r::toString);
        }
      }
    }
    Counts after = counts();
    for (int i = 0; i < 50 && !after.equals(before); i++) {
      Thread.sleep(100); // the JVM's process reaper and pipe closing are asynchronous
      after = counts();
    }
    assertEquals(before, after);
  }
}
