package io.isolate.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Output;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.Workload;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The run supervisor's rules, with a guest that does only what each test tells it. */
class RunSupervisorTest {
  /** A guest that records the stops it is asked for and reports the CPU time it is told. */
  static final class Puppet implements RunSupervisor.Guest {
    final List<Termination> stops = new CopyOnWriteArrayList<>();
    final AtomicLong cpu = new AtomicLong(-1);
    final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public void stop(Termination reason) {
      stops.add(reason);
      stopped.countDown();
    }

    @Override
    public long cpuTimeNanos() {
      return cpu.get();
    }
  }

  private static IsolateSpec spec(Limits limits) {
    return spec(Isolate.builder().limits(limits));
  }

  private static IsolateSpec spec(Isolate.Builder b) {
    return b.level(IsolationLevel.OS).workload(Workload.command("/bin/true")).spec();
  }

  @Test
  void anExitIsTheGuestsOwnWithItsOutputAndUsage() {
    RunSupervisor s = new RunSupervisor(spec(Limits.DEFAULT), null);
    s.attach(new Puppet());
    s.arm();
    byte[] hello = "hello\n".getBytes(StandardCharsets.UTF_8);
    assertTrue(s.stdout().write(hello, 0, hello.length));
    ExitResult r = s.finish(RunSupervisor.Ending.exited(3).cpuTime(Duration.ofMillis(7)).peakMemoryBytes(4096));
    assertEquals(Termination.EXITED, r.termination());
    assertEquals(3, r.exitCode());
    assertEquals("hello\n", r.stdoutText());
    assertEquals(Duration.ofMillis(7), r.usage().cpuTime().orElseThrow());
    assertFalse(s.isAlive());
  }

  @Test
  void theFirstStopWinsAndReachesTheGuestOnce() {
    RunSupervisor s = new RunSupervisor(spec(Limits.DEFAULT), null);
    Puppet guest = new Puppet();
    s.attach(guest);
    s.kill();
    s.stop(Termination.TIMEOUT);
    s.kill();
    ExitResult r = s.finish(RunSupervisor.Ending.exited(0));
    assertEquals(Termination.KILLED, r.termination(), "the stop's reason takes the place of the guest's exit");
    assertEquals(-1, r.exitCode());
    assertEquals(List.of(Termination.KILLED), guest.stops);
    s.kill(); // after the end: nothing, no error
    assertEquals(List.of(Termination.KILLED), guest.stops);
  }

  @Test
  void aStopBeforeTheGuestExistsReachesItWhenAttached() {
    RunSupervisor s = new RunSupervisor(spec(Limits.DEFAULT), null);
    s.kill();
    Puppet guest = new Puppet();
    s.attach(guest);
    assertEquals(List.of(Termination.KILLED), guest.stops);
  }

  @Test
  void aStopAfterTheGuestEndedChangesNothing() {
    RunSupervisor s = new RunSupervisor(spec(Limits.DEFAULT), null);
    Puppet guest = new Puppet();
    s.attach(guest);
    s.guestEnded();
    s.kill();
    assertEquals(Termination.EXITED, s.finish(RunSupervisor.Ending.exited(0)).termination());
    assertTrue(guest.stops.isEmpty());
  }

  @Test
  void theDeadlineStopsTheGuestAndNamesTheLimit() throws InterruptedException {
    Duration limit = Duration.ofMillis(50);
    RunSupervisor s = new RunSupervisor(spec(Limits.builder().wallTime(limit).build()), null);
    Puppet guest = new Puppet();
    s.attach(guest);
    s.arm();
    assertTrue(guest.stopped.await(5, TimeUnit.SECONDS));
    ExitResult r = s.finish(RunSupervisor.Ending.of(Termination.KILLED, -1, "SIGKILL"));
    assertEquals(Termination.TIMEOUT, r.termination());
    assertTrue(r.detail().contains("wall-time limit of PT0.05S"), r.detail());
    assertTrue(r.usage().wallTime().compareTo(limit) >= 0, r::toString);
  }

  @Test
  void theCpuBudgetIsReadFromTheGuest() throws InterruptedException {
    RunSupervisor s = new RunSupervisor(spec(Limits.builder().cpuTime(Duration.ofMillis(100)).build()), null);
    Puppet guest = new Puppet();
    guest.cpu.set(50_000_000);
    s.attach(guest);
    s.arm();
    assertFalse(guest.stopped.await(300, TimeUnit.MILLISECONDS), "within its budget the guest runs on");
    guest.cpu.set(150_000_000);
    assertTrue(guest.stopped.await(5, TimeUnit.SECONDS));
    ExitResult r = s.finish(RunSupervisor.Ending.of(Termination.KILLED, -1, ""));
    assertEquals(Termination.CPU_LIMIT, r.termination());
    assertTrue(r.detail().contains("CPU-time limit of PT0.1S"), r.detail());
  }

  @Test
  void outputPastTheBudgetStopsTheRun() {
    RunSupervisor s = new RunSupervisor(spec(Limits.builder().output(1, SizeUnit.KILOBYTES).build()), null);
    Puppet guest = new Puppet();
    s.attach(guest);
    byte[] chunk = new byte[700];
    assertTrue(s.stdout().write(chunk, 0, chunk.length));
    assertFalse(s.stderr().write(chunk, 0, chunk.length), "stdout and stderr share one budget");
    assertEquals(List.of(Termination.OUTPUT_LIMIT), guest.stops);
    ExitResult r = s.finish(RunSupervisor.Ending.exited(0));
    assertEquals(Termination.OUTPUT_LIMIT, r.termination());
    assertEquals(1024, r.stdout().length + r.stderr().length);
    assertTrue(r.detail().contains("1 KiB"), r.detail());
  }

  @Test
  void aGuestThatDoesNotStopIsAbandonedAfterTheGrace() {
    RunSupervisor s = new RunSupervisor(spec(Limits.DEFAULT), Duration.ofMillis(50));
    s.attach(new Puppet()); // it never reports its end
    s.arm();
    s.kill();
    ExitResult r = s.onExit().orTimeout(5, TimeUnit.SECONDS).join();
    assertEquals(Termination.KILLED, r.termination());
    assertTrue(r.detail().contains("did not stop within 50 ms and was abandoned"), r.detail());
    // the guest's late end changes nothing
    assertEquals(r, s.finish(RunSupervisor.Ending.exited(0)));
  }

  @Test
  void aProblemAfterTheGuestEndedIsNoSuccess() {
    RunSupervisor s = new RunSupervisor(spec(Limits.DEFAULT), null);
    s.attach(new Puppet());
    ExitResult r = s.finish(RunSupervisor.Ending.exited(0).problem("its files could not be written back"));
    assertEquals(Termination.FAULT, r.termination());
    assertTrue(r.detail().contains("exited with code 0, but its files could not be written back"), r.detail());

    RunSupervisor trapped = new RunSupervisor(spec(Limits.DEFAULT), null);
    ExitResult t = trapped.finish(RunSupervisor.Ending.of(Termination.TRAP, -1, "unreachable").problem("lost"));
    assertEquals(Termination.TRAP, t.termination());
    assertEquals("unreachable; lost", t.detail());
  }

  @Test
  void aFailedApplicationStreamIsSaid() {
    OutputStream broken = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("disk full");
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        throw new IOException("disk full");
      }
    };
    RunSupervisor s = new RunSupervisor(spec(Isolate.builder().stdout(Output.to(broken))), null);
    s.stdout().write(new byte[] {1}, 0, 1);
    ExitResult r = s.finish(RunSupervisor.Ending.exited(0));
    assertTrue(r.detail().contains("the application's output stream failed: disk full"), r.detail());
  }

  @Test
  void stdinIsFedAndClosedOrLeftToTheApplication() throws InterruptedException {
    CountDownLatch closed = new CountDownLatch(1);
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    OutputStream target = new OutputStream() {
      @Override
      public void write(int b) {
        got.write(b);
      }

      @Override
      public void close() {
        closed.countDown();
      }
    };
    RunSupervisor fed = new RunSupervisor(spec(Isolate.builder().stdin(Input.of(new byte[] {1, 2, 3}))), null);
    fed.feedStdin(target);
    assertTrue(closed.await(5, TimeUnit.SECONDS));
    assertEquals(3, got.size());
    assertThrows(IllegalStateException.class, fed::stdin, "stdin is not a pipe");

    RunSupervisor piped = new RunSupervisor(spec(Isolate.builder().stdin(Input.pipe())), null);
    assertThrows(IllegalStateException.class, piped::stdin, "no guest yet");
    piped.feedStdin(target);
    assertEquals(target, piped.stdin());
  }
}
