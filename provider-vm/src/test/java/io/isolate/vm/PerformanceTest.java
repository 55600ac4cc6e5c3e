package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Termination;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Guest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Sanity checks of speed (the real figures come from the benchmarks module): CPU-bound code runs at native speed
 * in guest user mode, and the times are printed for the record.
 */
class PerformanceTest {
  @Test
  void cpuBoundLoopRunsNearNativeSpeed() {
    var program = Fixtures.program("cpuloop", Libc.GLIBC);
    long guestNs = Long.MAX_VALUE;
    long hostNs = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) { // best of three, interleaved: the build machines are shared and noisy
      ExitResult r = Guest.run(program, "20");
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      String hostOut = new String(Fixtures.run(List.of(program.toString(), "20")), StandardCharsets.UTF_8);
      assertEquals(number(hostOut, "primes"), number(r.stdoutText(), "primes"));
      guestNs = Math.min(guestNs, number(r.stdoutText(), "ns"));
      hostNs = Math.min(hostNs, number(hostOut, "ns"));
    }
    double ratio = (double) hostNs / guestNs;
    System.out.printf("cpuloop: guest %d ms, host %d ms, guest speed %.2fx native%n", guestNs / 1_000_000,
        hostNs / 1_000_000, ratio);
    assertTrue(ratio > 0.5, "guest speed " + ratio + "x native");
  }

  @Test
  void reportsCreateRunExitAndSystemCallTimes() {
    var hello = Fixtures.program("hello", Libc.MUSL);
    for (int i = 0; i < 50; i++) { // warm-up: JIT, JNA, thread pool
      try (Isolate isolate = Guest.builder(hello).build()) {
        isolate.run();
      }
    }
    long[] ms = new long[200];
    for (int i = 0; i < ms.length; i++) {
      long t0 = System.nanoTime();
      try (Isolate isolate = Guest.builder(hello).build()) {
        assertEquals("hello, world\n", isolate.run().stdoutText());
      }
      ms[i] = System.nanoTime() - t0;
    }
    Arrays.sort(ms);
    ExitResult r = Guest.run(Fixtures.program("getpid", Libc.MUSL), "20000");
    long perCall = number(r.stdoutText(), "ns_per_call");
    System.out.printf("create+hello+exit through the API: median %.2f ms (min %.2f ms); getpid round trip %.1f us%n",
        ms[ms.length / 2] / 1e6, ms[0] / 1e6, perCall / 1e3);
    assertTrue(perCall > 0);
  }

  private static long number(String text, String key) {
    Matcher m = Pattern.compile(key + "=(\\d+)").matcher(text);
    assertTrue(m.find(), text);
    return Long.parseLong(m.group(1));
  }
}
