package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.Termination;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Guest;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Unmodified static programs, built with glibc and with musl, see their arguments and environment. */
class StaticProgramTest {
  @ParameterizedTest
  @EnumSource(Libc.class)
  void printsHelloAndExitsZero(Libc libc) {
    ExitResult r = Guest.run(Fixtures.program("hello", libc));
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals(0, r.exitCode());
    assertEquals("hello, world\n", r.stdoutText());
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void seesItsArgumentsAndEnvironmentAndReturnsItsExitCode(Libc libc) {
    ExitResult r = Guest.run(Guest.builder(Fixtures.program("args", libc), "42", "two words", "ünïcödé")
        .env("GREETING", "hi there"));
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals(42, r.exitCode());
    assertEquals("argc=4\nargv[0]=args-" + libc.name().toLowerCase() + "\nargv[1]=42\nargv[2]=two words\n"
        + "argv[3]=ünïcödé\nGREETING=hi there\n", r.stdoutText());
    assertEquals("to stderr\n", r.stderrText());
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void seesNoEnvironmentUnlessGiven(Libc libc) {
    ExitResult r = Guest.run(Fixtures.program("args", libc));
    assertTrue(r.stdoutText().contains("GREETING=(unset)"), r.stdoutText());
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void readsStdinFromAPipeTheApplicationWrites(Libc libc) throws Exception {
    try (Isolate isolate = Guest.builder(Fixtures.program("fsops", libc), "cat", "/dev/stdin")
        .stdin(Input.pipe()).build()) {
      // /dev/stdin is the process's own stdin: nothing written, end of file at once
      var execution = isolate.start();
      execution.stdin().close();
      ExitResult r = execution.await();
      assertEquals(0, r.exitCode(), r::toString);
      assertEquals("", r.stdoutText());
    }
    Isolate.Builder b = Guest.builder(Path.BUSYBOX, "cat").stdin(Input.pipe());
    try (Isolate isolate = b.build()) {
      var execution = isolate.start();
      try (OutputStream in = execution.stdin()) {
        in.write("through the pipe\n".getBytes(StandardCharsets.UTF_8));
      }
      ExitResult r = execution.await();
      assertEquals("through the pipe\n", r.stdoutText(), r::toString);
    }
  }

  @org.junit.jupiter.api.Test
  void readsStdinFromAStreamAndRefusesAStdinWriterThen() {
    byte[] input = "one two three\nfour\n".getBytes(StandardCharsets.UTF_8);
    try (Isolate isolate = Guest.builder(Path.BUSYBOX, "wc", "-w")
        .stdin(Input.from(new java.io.ByteArrayInputStream(input))).build()) {
      var execution = isolate.start();
      org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, execution::stdin);
      ExitResult r = execution.await();
      assertEquals("4\n", r.stdoutText(), r::toString);
    }
  }

  @org.junit.jupiter.api.Test
  void pollsAndSelectsOnStdin() throws Exception {
    ExitResult ready = Guest.runWithStdin(Fixtures.program("fsops", Libc.MUSL), "x".getBytes(), "poll", "1000");
    assertEquals("poll=1 revents=1\nselect=1 set=1\n", ready.stdoutText(), ready::toString);
    try (Isolate isolate = Guest.builder(Fixtures.program("fsops", Libc.GLIBC), "poll", "50")
        .stdin(Input.pipe()).build()) {
      var execution = isolate.start();
      ExitResult idle = execution.await(); // nothing written: both time out
      assertEquals("poll=0 revents=0\nselect=0 set=0\n", idle.stdoutText(), idle::toString);
    }
  }

  /** Paths of host programs the tests use. */
  static final class Path {
    static final java.nio.file.Path BUSYBOX = java.nio.file.Path.of("/bin/busybox");
  }
}
