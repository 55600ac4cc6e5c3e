package io.isolate.wasm;

import io.isolate.ExitResult;
import io.isolate.Execution;
import io.isolate.Input;
import io.isolate.IsolateSpec;
import io.isolate.Termination;
import io.isolate.Usage;
import io.isolate.spi.OutputSink;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One run of a WASI command ({@code _start}) on a guest thread of its own. The run's clock starts before its
 * module is loaded: the guest thread waits for the load (see {@link ModuleCache}) only until the deadline, and is
 * interrupted from that wait by a stop like the guest would be. Stopping it (deadline, kill, output
 * cap) records the reason first and then interrupts the thread; Chicory notices the interrupt in the guest's
 * next loop iteration or call. A guest stuck where an interrupt cannot reach (a host function blocked in
 * uninterruptible I/O) is abandoned {@value #GRACE_MILLIS} ms after the stop: the result is delivered anyway and
 * the thread is left to finish on its own (its read-write mounts are written back when it does).
 */
final class WasmRun implements Execution, Watchdog.Guarded {
  static final long GRACE_MILLIS = 250;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final IsolateSpec spec;
  private final WasmBackend.ModuleSource moduleSource;
  private final int memoryLimitPages;
  private final GuestPipe pipe;
  private final OutputSink stdout;
  private final OutputSink stderr;
  private final CompletableFuture<ExitResult> result = new CompletableFuture<>();
  private final long startNanos = System.nanoTime();
  private final long deadlineNanos;
  /** The CPU-time budget in ns, or -1 for none. */
  private final long cpuBudgetNanos;
  private volatile long cpuStartNanos = -1;

  // guarded by this
  private Thread thread;
  private Termination stopReason;
  private String stopDetail;
  private long abandonAtNanos = Long.MAX_VALUE;
  private boolean ended;
  private boolean guestDone;
  /** Whether the run is still waiting for its module to be loaded (said in the detail of a timeout). */
  private volatile boolean loading;

  WasmRun(IsolateSpec spec, WasmBackend.ModuleSource moduleSource, int memoryLimitPages) {
    this.spec = spec;
    this.moduleSource = moduleSource;
    this.memoryLimitPages = memoryLimitPages;
    this.pipe = spec.stdin().kind() == Input.Kind.PIPE ? new GuestPipe() : null;
    OutputSink.Budget budget = new OutputSink.Budget(spec.limits().outputBytes());
    this.stdout = new OutputSink(spec.stdout(), budget);
    this.stderr = new OutputSink(spec.stderr(), budget);
    this.deadlineNanos = startNanos + spec.limits().wallTime().toNanos();
    this.cpuBudgetNanos = spec.limits().cpuTime().map(Duration::toNanos).orElse(-1L);
  }

  /** A run that could not even begin. */
  static Execution failedToStart(String reason) {
    ExitResult r = ExitResult.builder(Termination.FAILED_TO_START).detail(reason)
        .usage(Usage.of(Duration.ZERO, null, -1)).build();
    return new Execution() {
      @Override
      public OutputStream stdin() {
        throw new IllegalStateException("the workload failed to start: " + reason);
      }

      @Override
      public CompletableFuture<ExitResult> onExit() {
        return CompletableFuture.completedFuture(r);
      }

      @Override
      public boolean isAlive() {
        return false;
      }

      @Override
      public void kill() {}
    };
  }

  void launch() {
    Watchdog.get().register(this);
    try {
      GuestThreads.execute(this::runOnGuestThread);
    } catch (RuntimeException e) {
      Watchdog.get().unregister(this);
      throw e;
    }
  }

  /**
   * Runs the guest on the calling thread and returns its result: no hand-off to a guest thread. Only for stdin
   * that cannot block outside the guest's control (none or bytes), since a caller cannot be abandoned.
   */
  ExitResult runOnCallerThread() {
    Watchdog.get().register(this);
    runOnGuestThread();
    return result.join();
  }

  void runOnGuestThread() {
    synchronized (this) {
      if (stopReason != null) {
        finish(new Outcome(stopReason, -1, stopDetail), Map.of(), 0, null);
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
      WasmBackend.Prepared prepared = moduleSource.prepare(deadlineNanos);
      loading = false;
      String failure = WasmBackend.startFailure(prepared);
      if (failure != null) {
        outcome = new Outcome(Termination.FAILED_TO_START, -1, failure);
      } else {
        LoadedModule module = prepared.module;
        guest = Guest.prepare(module, spec, stdinStream(), new SinkStream(stdout, this::outputLimitReached),
            new SinkStream(stderr, this::outputLimitReached));
        guest.instantiate(module, spec.hostFunctions(), memoryLimitPages);
        started = true;
        guest.instance().export("_start").apply();
        outcome = Outcome.exited(0);
      }
    } catch (ModuleCache.LoadTimeoutException e) {
      // The deadline passed before the watchdog's next check; the same ending it would have given.
      outcome = new Outcome(Termination.TIMEOUT, -1, timeoutDetail());
    } catch (InterruptedException e) {
      // A stop (deadline, kill) interrupted the wait: the stop's reason is taken below. Otherwise the caller's
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
      guestDone = true;
      thread = null;
      if (stopReason != null) {
        outcome = new Outcome(stopReason, -1, stopDetail);
      }
    }
    // Clear a stop's interrupt, so that it does not disturb the write-back or the next task of this thread.
    Thread.interrupted();
    if (guest != null) {
      String writeBackProblems = guest.writeBack();
      guest.close();
      if (!writeBackProblems.isEmpty()) {
        outcome = outcome.writeBackFailed(writeBackProblems);
      }
    }
    finish(outcome, guest == null ? Map.of() : guest.unsupportedCalls(), guest == null ? 0 : guest.peakMemoryBytes(),
        cpu);
  }

  private void finish(Outcome outcome, Map<String, Long> unsupported, long peakMemory, Long cpuNanos) {
    Watchdog.get().unregister(this);
    synchronized (this) {
      ended = true;
    }
    String detail = outcome.detail;
    for (OutputSink sink : new OutputSink[] {stdout, stderr}) {
      try {
        sink.checkStream();
      } catch (java.io.UncheckedIOException e) {
        detail = (detail.isEmpty() ? "" : detail + "; ") + "the application's output stream failed: "
            + Outcome.messageOf(e.getCause());
      }
    }
    ExitResult r = ExitResult.builder(outcome.termination)
        .exitCode(outcome.exitCode)
        .detail(detail)
        .stdout(stdout.captured())
        .stderr(stderr.captured())
        .usage(Usage.of(Duration.ofNanos(System.nanoTime() - startNanos),
            cpuNanos == null ? null : Duration.ofNanos(cpuNanos), peakMemory))
        .unsupportedCalls(unsupported)
        .build();
    result.complete(r);
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

  private void outputLimitReached(long limit) {
    stop(Termination.OUTPUT_LIMIT, "the workload wrote more than " + io.isolate.SizeUnit.format(limit)
        + " to stdout and stderr (the output limit)");
  }

  /** Records why the guest must stop and interrupts it; the first reason wins. */
  void stop(Termination reason, String detail) {
    synchronized (this) {
      if (stopReason != null || guestDone || ended) {
        return;
      }
      stopReason = reason;
      stopDetail = detail;
      abandonAtNanos = System.nanoTime() + GRACE_MILLIS * 1_000_000;
      if (thread != null) {
        thread.interrupt();
      }
    }
  }

  @Override
  public synchronized long deadlineNanos() {
    if (ended || (guestDone && stopReason == null)) {
      return Long.MAX_VALUE;
    }
    return stopReason == null ? deadlineNanos : abandonAtNanos;
  }

  /** The CPU-time budget: the guest's thread CPU time since the run began, checked by the watchdog. */
  @Override
  public void tick() {
    Thread t;
    synchronized (this) {
      t = thread;
      if (cpuBudgetNanos < 0 || t == null || stopReason != null || guestDone || ended || cpuStartNanos < 0) {
        return;
      }
    }
    long used = THREADS.getThreadCpuTime(t.getId()) - cpuStartNanos;
    if (used > cpuBudgetNanos) {
      stop(Termination.CPU_LIMIT, "the CPU-time limit of " + spec.limits().cpuTime().orElseThrow() + " ran out");
    }
  }

  @Override
  public void expire(long nowNanos) {
    boolean abandon;
    synchronized (this) {
      if (ended) {
        return;
      }
      abandon = stopReason != null;
    }
    if (!abandon) {
      stop(Termination.TIMEOUT, timeoutDetail());
      return;
    }
    // The guest did not react to the interrupt in time: deliver the result without it.
    Termination reason;
    String detail;
    synchronized (this) {
      reason = stopReason;
      detail = stopDetail + " (the guest did not stop within " + GRACE_MILLIS + " ms and was abandoned)";
    }
    finish(new Outcome(reason, -1, detail), Map.of(), 0, null);
  }

  private String timeoutDetail() {
    return "the wall-time limit of " + spec.limits().wallTime() + " ran out"
        + (loading ? " while the module was being loaded (parsed, validated, compiled)" : "");
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

  @Override
  public OutputStream stdin() {
    if (pipe == null) {
      throw new IllegalStateException("stdin is " + spec.stdin() + ", not a pipe: build the isolate with "
          + "stdin(Input.pipe()) to write to it");
    }
    return pipe.output();
  }

  @Override
  public CompletableFuture<ExitResult> onExit() {
    return result;
  }

  @Override
  public boolean isAlive() {
    return !result.isDone();
  }

  @Override
  public void kill() {
    stop(Termination.KILLED, "killed");
  }
}
