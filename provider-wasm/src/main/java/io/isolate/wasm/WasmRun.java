package io.isolate.wasm;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.IsolateSpec;
import io.isolate.Input;
import io.isolate.Termination;
import io.isolate.spi.RunSupervisor;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;

/**
 * One run of a WASI command ({@code _start}) on a guest thread of its own, under a {@link RunSupervisor}. The run's
 * clock starts before its module is loaded: the guest thread waits for the load (see {@link ModuleCache}) only until
 * the deadline, and is interrupted from that wait by a stop like the guest would be. A stop (deadline, kill, a
 * limit) interrupts the thread; Chicory notices the interrupt in the guest's next loop iteration or call. A guest
 * stuck where an interrupt cannot reach (a host function blocked in uninterruptible I/O) is abandoned
 * {@value #GRACE_MILLIS} ms after the stop: the result is delivered anyway and the thread is left to finish on its
 * own.
 */
final class WasmRun implements RunSupervisor.Guest {
  static final long GRACE_MILLIS = 250;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final IsolateSpec spec;
  private final WasmBackend.ModuleSource moduleSource;
  private final int memoryLimitPages;
  private final GuestPipe pipe;
  private final RunSupervisor supervisor;
  private volatile long cpuStartNanos = -1;
  /** Whether the run is still waiting for its module to be loaded (said in the detail of a timeout). */
  private volatile boolean loading;

  // guarded by this: the guest's thread while it runs the guest, null before and after
  private Thread thread;

  WasmRun(IsolateSpec spec, WasmBackend.ModuleSource moduleSource, int memoryLimitPages) {
    this.spec = spec;
    this.moduleSource = moduleSource;
    this.memoryLimitPages = memoryLimitPages;
    this.supervisor = new RunSupervisor(spec, Duration.ofMillis(GRACE_MILLIS));
    this.pipe = spec.stdin().kind() == Input.Kind.PIPE ? new GuestPipe() : null;
    if (pipe != null) {
      supervisor.stdinPipe(pipe.output());
    }
    supervisor.attach(this);
  }

  /** A run that could not even begin. */
  static Execution failedToStart(String reason) {
    return RunSupervisor.ended(RunSupervisor.failedToStart(reason, System.nanoTime()));
  }

  /** What the application sees of this run. */
  Execution execution() {
    return supervisor;
  }

  void launch() {
    supervisor.arm();
    try {
      GuestThreads.execute(this::runOnGuestThread);
    } catch (RuntimeException e) {
      supervisor.finish(RunSupervisor.Ending.of(Termination.FAILED_TO_START, -1, "no guest thread: " + e));
      throw e;
    }
  }

  /**
   * Runs the guest on the calling thread and returns its result: no hand-off to a guest thread. Only for stdin
   * that cannot block outside the guest's control (none or bytes), since a caller cannot be abandoned.
   */
  ExitResult runOnCallerThread() {
    supervisor.arm();
    runOnGuestThread();
    return supervisor.onExit().join();
  }

  void runOnGuestThread() {
    synchronized (this) {
      if (supervisor.stopReason() != null) {
        supervisor.finish(RunSupervisor.Ending.of(Termination.KILLED, -1, ""));
        return;
      }
      thread = Thread.currentThread();
    }
    long cpuStart = cpuNow();
    cpuStartNanos = cpuStart;
    Outcome outcome;
    Guest guest = null;
    boolean started = false;
    try {
      // The load counts against this run's deadline: the watchdog interrupts this wait like it would the guest.
      loading = true;
      WasmBackend.Prepared prepared = moduleSource.prepare(supervisor.deadline());
      loading = false;
      String failure = WasmBackend.startFailure(prepared);
      if (failure != null) {
        outcome = new Outcome(Termination.FAILED_TO_START, -1, failure);
      } else {
        LoadedModule module = prepared.module;
        guest = Guest.prepare(module, spec, stdinStream(), new SinkStream(supervisor.stdout()),
            new SinkStream(supervisor.stderr()));
        guest.instantiate(module, spec.hostFunctions(), memoryLimitPages);
        started = true;
        guest.instance().export("_start").apply();
        outcome = Outcome.exited(0);
      }
    } catch (ModuleCache.LoadTimeoutException e) {
      // The deadline passed before the watchdog's next check; the same ending it would have given.
      supervisor.stop(Termination.TIMEOUT);
      outcome = new Outcome(Termination.TIMEOUT, -1, "");
    } catch (InterruptedException e) {
      // A stop (deadline, kill) interrupted the wait: the stop's reason takes its place. Otherwise the caller's
      // own thread was interrupted by the application.
      outcome = new Outcome(Termination.KILLED, -1, "interrupted while the module was being loaded");
    } catch (IOException e) {
      outcome = new Outcome(Termination.FAILED_TO_START, -1, Outcome.messageOf(e));
    } catch (Throwable t) {
      // Everything, even an InternalError of the JVM, ends this run with a result rather than a lost thread.
      outcome = Outcome.of(t, guest == null ? null : guest.memory(), started);
    } finally {
      if (pipe != null) {
        pipe.closeReader();
      }
    }
    Long cpu = cpuSince(cpuStart);
    synchronized (this) {
      // From here on the guest has ended by itself or by a stop: later stop requests change nothing.
      supervisor.guestEnded();
      thread = null;
    }
    // Clear a stop's interrupt, so that it does not disturb the next task of this thread.
    Thread.interrupted();
    RunSupervisor.Ending ending = outcome.ending().cpuTime(cpu == null ? null : Duration.ofNanos(cpu));
    if (guest != null) {
      guest.close();
      ending = ending.unsupportedCalls(guest.unsupportedCalls()).peakMemoryBytes(guest.peakMemoryBytes());
    } else {
      ending = ending.peakMemoryBytes(0);
    }
    supervisor.finish(ending);
  }

  private InputStream stdinStream() {
    return switch (spec.stdin().kind()) {
      case NONE -> new ByteArrayInputStream(new byte[0]);
      case BYTES -> new ByteArrayInputStream(spec.stdin().bytes());
      case STREAM -> notClosing(spec.stdin().stream().orElseThrow());
      case PIPE -> pipe.input();
    };
  }

  /** {@code in}, except that closing it (Chicory closes stdin with the guest) leaves it open. */
  static InputStream notClosing(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public void close() {
        // the application's stream belongs to the application
      }
    };
  }

  /** Interrupts the guest's thread, if it runs the guest; a thread that has not begun sees the stop when it does. */
  @Override
  public synchronized void stop(Termination reason) {
    if (thread != null) {
      thread.interrupt();
    }
  }

  /** The guest thread's CPU time since the run began. */
  @Override
  public long cpuTimeNanos() {
    Thread t;
    synchronized (this) {
      t = thread;
    }
    long start = cpuStartNanos;
    if (t == null || start < 0) {
      return -1;
    }
    long now = THREADS.getThreadCpuTime(t.getId());
    return now < 0 ? -1 : now - start;
  }

  @Override
  public String stopContext(Termination reason) {
    return reason == Termination.TIMEOUT && loading
        ? " while the module was being loaded (parsed, validated, compiled)" : "";
  }

  private static long cpuNow() {
    return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
  }

  private static Long cpuSince(long start) {
    if (start < 0) {
      return null;
    }
    long now = THREADS.getCurrentThreadCpuTime();
    return now < 0 ? null : now - start;
  }
}
