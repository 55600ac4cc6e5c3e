package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Termination;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Guest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Handlers run for the program's faults and for signals it sends itself, with Linux's frame and sigreturn. */
class SignalTest {
  private static ExitResult run(Libc libc, String mode) {
    return Guest.run(Fixtures.program("signals", libc), mode);
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void aSegvHandlerCanLongjmpOutOfAFault(Libc libc) {
    ExitResult r = run(libc, "longjmp");
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals("caught signal 11 code 1 addr 0x10\ncaught signal 11 code 1 addr 0x20\nafter two recoveries\n",
        r.stdoutText());
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void aSegvHandlerCanFixTheFaultAndReturn(Libc libc) {
    ExitResult r = run(libc, "fixup");
    assertEquals("page[100]=42 handler ran 1 time(s), double 6.0\n", r.stdoutText(), r::toString);
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void killMinusOneSparesTheCallerAsLinuxDoes(Libc libc) {
    ExitResult r = run(libc, "killall");
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals(7, r.exitCode(), r::toString);
    assertEquals("kill(-1, SIGKILL) = -1, errno 3; still alive\n", r.stdoutText(), r::toString);
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void aRaisedSignalRunsItsHandlerAndReturns(Libc libc) {
    ExitResult r = run(libc, "raise");
    assertEquals("handler saw signal 10, x=2.00\n", r.stdoutText(), r::toString);
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void divisionByZeroRaisesSigfpe(Libc libc) {
    ExitResult r = run(libc, "fpe");
    assertTrue(r.stdoutText().startsWith("caught signal 8 code 1"), r::toString);
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void aStackOverflowIsCaughtOnTheAlternateStack(Libc libc) {
    ExitResult r = run(libc, "altstack");
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("stack overflow caught on the alternate stack\n", r.stdoutText());
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void abortRunsTheSigabrtHandler(Libc libc) {
    ExitResult r = run(libc, "abort");
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals(6, r.exitCode());
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void aFaultWithTheDefaultActionEndsTheRun(Libc libc) {
    ExitResult r = run(libc, "blocked");
    assertEquals(Termination.FAULT, r.termination(), r::toString);
    assertTrue(r.detail().contains("write to unmapped address 0x30"), r.detail());
    assertTrue(r.stdoutText().startsWith("caught signal 11"), r.stdoutText());
  }
}
