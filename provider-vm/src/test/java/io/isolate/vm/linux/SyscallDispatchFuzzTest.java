package io.isolate.vm.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Termination;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hundreds of thousands of system calls with hostile arguments, straight into the dispatcher of a loaded (not
 * running) process: every call must come back with a result or an errno, never with a Java exception.
 */
class SyscallDispatchFuzzTest {
  @TempDir Path rw;

  @Test
  void everySystemCallAnswersHostileArgumentsWithAnErrnoNotAnException() throws Exception {
    Prerequisites.requireKvm();
    Files.writeString(rw.resolve("f"), "data");
    Files.createDirectories(rw.resolve("d"));
    ProcessConfig config = new ProcessConfig(Fixtures.bytes("hello", Libc.MUSL), "hello")
        .mountDirectory("/rw", rw, true).mountFile("/etc/x", new byte[] {1, 2, 3});
    try (LinuxProcess p = LinuxProcess.create(config)) {
      p.stop(Termination.KILLED); // anything that would block returns at once
      long scratch = p.mm.mmap(0, 1 << 16, 3, MemoryManager.MAP_PRIVATE | MemoryManager.MAP_ANONYMOUS);
      byte[] path = "/rw/f\0/rw/d\0/etc/x\0/dev/null\0..\0/rw/../rw/d/new\0".getBytes();
      p.mm.memory().write(scratch, path);
      SplittableRandom random = new SplittableRandom(Long.getLong("fuzz.seed", 42));
      long calls = 0;
      long end = System.nanoTime() + Long.getLong("fuzz.millis", 2000) * 1_000_000L;
      while (System.nanoTime() < end) {
        for (int i = 0; i < 1000; i++) {
          long nr = random.nextInt(470);
          if (nr == 60 || nr == 231) {
            continue; // exit ends nothing here, but would make the rest meaningless
          }
          long[] a = new long[6];
          for (int k = 0; k < 6; k++) {
            a[k] = switch (random.nextInt(7)) {
              case 0 -> 0;
              case 1 -> random.nextInt(8);
              case 2 -> -1;
              case 3 -> random.nextLong();
              case 4 -> scratch + random.nextInt(64); // the path strings
              case 5 -> scratch + random.nextInt(1 << 16);
              default -> random.nextLong(1L << 32);
            };
          }
          long r = p.syscallsForTest().dispatch(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
          assertTrue(r > -4096 || r < -1_000_000, "system call " + SyscallNames.name(nr) + " returned " + r);
          calls++;
        }
      }
      System.out.println("dispatched " + calls + " hostile system calls");
      assertTrue(calls > 10_000);
    }
  }
}
