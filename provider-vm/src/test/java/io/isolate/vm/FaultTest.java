package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Limits;
import io.isolate.Termination;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Guest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Broken and hostile guests end with a precise FAULT or a limit; the JVM never crashes and never hangs. */
class FaultTest {
  private static ExitResult fault(String mode) {
    return Guest.run(Fixtures.program("fault", Libc.MUSL), mode);
  }

  @Test
  void jumpToUnmappedMemoryIsAFaultWithTheAddress() {
    ExitResult r = fault("jump");
    assertEquals(Termination.FAULT, r.termination(), r::toString);
    assertEquals(128 + 11, r.exitCode());
    assertTrue(r.detail().contains("instruction fetch from unmapped address 0xdead0000"), r.detail());
    assertTrue(r.detail().contains("rip 0xdead0000"), r.detail());
  }

  @Test
  void writeToNullIsAFault() {
    ExitResult r = fault("null");
    assertEquals(Termination.FAULT, r.termination(), r::toString);
    assertTrue(r.detail().contains("write to unmapped address 0x0 "), r.detail());
  }

  @Test
  void writeToReadOnlyDataIsAFault() {
    ExitResult r = fault("rodata");
    assertEquals(Termination.FAULT, r.termination(), r::toString);
    assertTrue(r.detail().contains("write to protected address"), r.detail());
  }

  @Test
  void illegalInstructionIsAFault() {
    ExitResult r = fault("ud2");
    assertEquals(Termination.FAULT, r.termination(), r::toString);
    assertEquals(128 + 4, r.exitCode());
    assertTrue(r.detail().startsWith("#UD invalid opcode at rip 0x"), r.detail());
  }

  @Test
  void privilegedInstructionIsAFault() {
    ExitResult r = fault("hlt");
    assertEquals(Termination.FAULT, r.termination(), r::toString);
    assertTrue(r.detail().startsWith("general protection fault"), r.detail());
  }

  @Test
  void abortEndsTheRunAsSigabrtWouldWithGlibcAndMusl() {
    for (Libc libc : new Libc[] {Libc.GLIBC, Libc.MUSL}) {
      ExitResult r = Guest.run(Fixtures.program("fault", libc), "abort");
      assertEquals(Termination.FAULT, r.termination(), r::toString);
      assertEquals(128 + 6, r.exitCode(), r::toString);
      assertTrue(r.detail().contains("SIGABRT"), r.detail());
    }
  }

  @Test
  void aSignalTheProgramIgnoresDoesNotEndIt() {
    ExitResult r = fault("ignored");
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals("survived SIGUSR1\n", r.stdoutText());
  }

  @Test
  void stackOverflowIsAFault() {
    ExitResult r = fault("stack");
    assertEquals(Termination.FAULT, r.termination(), r::toString);
    assertTrue(r.detail().contains("page fault"), r.detail());
  }

  @Test
  void stopsAGuestSpinningPastItsDeadline() {
    Duration limit = Duration.ofMillis(200);
    long[] late = new long[3];
    for (int i = 0; i < late.length; i++) {
      try (Isolate isolate = Guest.builder(Fixtures.program("fault", Libc.MUSL), "spin")
          .limits(Limits.builder().wallTime(limit).build()).build()) {
        long t0 = System.nanoTime();
        ExitResult r = isolate.run();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(Termination.TIMEOUT, r.termination(), r::toString);
        assertTrue(ms < limit.toMillis() + 1000, "run() returned after " + ms + " ms");
        late[i] = r.usage().wallTime().toMillis() - limit.toMillis();
      }
    }
    // the median, because the build machines are shared: a loaded host can delay any one thread's wake-up
    java.util.Arrays.sort(late);
    assertTrue(late[1] < 50, "stopped " + java.util.Arrays.toString(late) + " ms after the deadline");
  }

  @Test
  void stopsAGuestSpinningPastItsCpuTimeButNotOneThatSleeps() {
    ExitResult r = Guest.run(Guest.builder(Fixtures.program("fault", Libc.MUSL), "spin")
        .limits(Limits.builder().cpuTime(Duration.ofMillis(200)).wallTime(Duration.ofSeconds(20)).build()));
    assertEquals(Termination.CPU_LIMIT, r.termination(), r::toString);
    assertTrue(r.detail().contains("CPU-time limit"), r.detail());
    assertTrue(r.usage().cpuTime().orElseThrow().toMillis() >= 200, r::toString);
    assertTrue(r.usage().wallTime().toMillis() < 5_000, r::toString);
    // sleeping uses no CPU: a 300 ms sleep under a 200 ms CPU budget ends by itself
    ExitResult sleeper = Guest.run(Guest.builder(BusyboxTest.BUSYBOX, "sleep", "0.3")
        .limits(Limits.builder().cpuTime(Duration.ofMillis(200)).build()));
    assertEquals(Termination.EXITED, sleeper.termination(), sleeper::toString);
  }

  @Test
  void stopsASleepingGuestAtItsDeadline() {
    ExitResult r = Guest.run(Guest.builder(BusyboxTest.BUSYBOX, "sleep", "10")
        .limits(Limits.builder().wallTime(Duration.ofMillis(200)).build()));
    assertEquals(Termination.TIMEOUT, r.termination(), r::toString);
    assertTrue(r.usage().wallTime().toMillis() < 450, r::toString); // generous: shared, loaded build machines
  }

  @Test
  void killStopsASpinningGuest() throws Exception {
    try (Isolate isolate = Guest.builder(Fixtures.program("fault", Libc.MUSL), "spin").build()) {
      Execution e = isolate.start();
      Thread.sleep(100);
      assertTrue(e.isAlive());
      e.kill();
      ExitResult r = e.await(Duration.ofSeconds(2));
      assertEquals(Termination.KILLED, r.termination(), r::toString);
    }
  }

  @Test
  void closeStopsASpinningGuest() {
    Isolate isolate = Guest.builder(Fixtures.program("fault", Libc.MUSL), "spin").build();
    Execution e = isolate.start();
    long t0 = System.nanoTime();
    isolate.close();
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 1000);
    assertEquals(Termination.KILLED, e.await(Duration.ofSeconds(2)).termination());
  }
}
