package io.isolate.spi;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.IsolateSpec;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * Everything about one run that does not depend on how its guest runs, shared by every level: the wall-time deadline
 * and the CPU-time budget (on the JVM's {@link Watchdog}), the output budget, the stop reason (the first one wins),
 * feeding stdin, idempotent kill, abandoning a guest that does not stop, and completing the result. A provider
 * supplies a {@link Guest}: how to stop its guest and how much CPU time it used; it reports the guest's own end with
 * {@link #finish(Ending)}.
 *
 * <p>The lifecycle: construct (the run's clock starts), {@link #attach(Guest)} once the guest exists, {@link #arm()}
 * to start enforcing the limits, then {@link #finish(Ending)} once when the guest has ended. A stop requested
 * before the guest is attached reaches it when it is attached.
 */
public final class RunSupervisor implements Execution, Watchdog.Guarded {
  private static final ExecutorService STDIN_FEEDERS = DaemonThreads.cached("isolate-stdin");
  private static final java.util.concurrent.ScheduledExecutorService GRACE_TIMERS =
      DaemonThreads.scheduler("isolate-stop-grace");

  /** The provider's side: how to stop the guest and measure it. */
  public interface Guest {
    /**
     * Makes the guest end soon, for {@code reason}; the guest then reports its end through {@link #finish(Ending)}
     * as usual. Called at most once, on any thread; must not block for long and must not throw.
     */
    void stop(Termination reason);

    /** The CPU time the guest has used in this run, in nanoseconds, or -1 when unknown (no CPU-time limit then). */
    default long cpuTimeNanos() {
      return -1;
    }

    /**
     * Asks the guest to end by itself (a graceful stop); false when it cannot be asked, and is then killed at once.
     */
    default boolean requestEnd() {
      return false;
    }

    /** Words added to a stop's standard detail, saying what the guest was doing (empty by default). */
    default String stopContext(Termination reason) {
      return "";
    }
  }

  /**
   * How the guest ended by itself, as the provider saw it; the supervisor adds the stop reason, output and wall time.
   */
  public record Ending(Termination termination, int exitCode, String detail, Duration cpuTime, long peakMemoryBytes,
      Map<String, Long> unsupportedCalls, List<String> problems) {
    public Ending {
      detail = detail == null ? "" : detail;
      unsupportedCalls = Map.copyOf(unsupportedCalls);
      problems = List.copyOf(problems);
    }

    /** The guest exited with {@code code}. */
    public static Ending exited(int code) {
      return of(Termination.EXITED, code, "");
    }

    /** The guest ended as {@code termination} (not an exit: its exit code is -1 unless given). */
    public static Ending of(Termination termination, int exitCode, String detail) {
      return new Ending(termination, exitCode, detail, null, -1, Map.of(), List.of());
    }

    public Ending cpuTime(Duration cpu) {
      return new Ending(termination, exitCode, detail, cpu, peakMemoryBytes, unsupportedCalls, problems);
    }

    public Ending peakMemoryBytes(long bytes) {
      return new Ending(termination, exitCode, detail, cpuTime, bytes, unsupportedCalls, problems);
    }

    public Ending unsupportedCalls(Map<String, Long> calls) {
      return new Ending(termination, exitCode, detail, cpuTime, peakMemoryBytes, calls, problems);
    }

    /**
     * Something that failed after the guest ended (its files could not be written back, say): the guest's results
     * did not all reach the host, so the run is no success, whatever the guest did. A run that exited (with any
     * code) becomes a {@link Termination#FAULT}: it started and ran, so it is not FAILED_TO_START, nothing stopped
     * it for a limit, and FAULT is what a level reports when its machinery around the guest fails. The guest's own
     * exit code is in the detail. A run that ended otherwise keeps its termination, with the failure added.
     */
    public Ending problem(String problem) {
      List<String> all = new ArrayList<>(problems);
      all.add(problem);
      return new Ending(termination, exitCode, detail, cpuTime, peakMemoryBytes, unsupportedCalls, all);
    }
  }

  private final IsolateSpec spec;
  private final long startNanos;
  private final long deadlineNanos;
  private final long cpuBudgetNanos;
  private final long cpuCheckPeriodNanos;
  private volatile long nextCpuCheckNanos;
  private final long graceNanos;
  private final OutputSink stdout;
  private final OutputSink stderr;
  private final CompletableFuture<ExitResult> result = new CompletableFuture<>();

  // guarded by this
  private Guest guest;
  private OutputStream stdinPipe;
  private Termination stopReason;
  private String stopDetail;
  private long abandonAtNanos = Long.MAX_VALUE;
  private boolean guestEnded;
  private boolean armed;
  private boolean wallDeadline = true;

  /**
   * @param grace how long a stopped guest may take to end before its result is delivered without it (the guest is
   *     abandoned, left to end on its own), or null to always wait for the guest
   */
  public RunSupervisor(IsolateSpec spec, Duration grace) {
    this(spec, grace, System.nanoTime());
  }

  /**
   * @param startNanos when the run's clock started, in {@link System#nanoTime()} terms (before the guest was
   *     launched, so that its wall time includes the launch)
   */
  public RunSupervisor(IsolateSpec spec, Duration grace, long startNanos) {
    this.spec = spec;
    this.startNanos = startNanos;
    this.deadlineNanos = startNanos + spec.limits().wallTime().toNanos();
    this.cpuBudgetNanos = spec.limits().cpuTime().map(Duration::toNanos).orElse(-1L);
    this.cpuCheckPeriodNanos = cpuCheckPeriodMillis(cpuBudgetNanos / 1_000_000) * 1_000_000;
    this.nextCpuCheckNanos = startNanos;
    this.graceNanos = grace == null ? -1 : grace.toNanos();
    OutputSink.Budget budget = new OutputSink.Budget(spec.limits().outputBytes());
    this.stdout = new OutputSink(spec.stdout(), budget, this::outputLimitReached);
    this.stderr = new OutputSink(spec.stderr(), budget, this::outputLimitReached);
  }

  /** An execution that has ended already, with {@code result} (a run that could not begin). */
  public static Execution ended(ExitResult result) {
    CompletableFuture<ExitResult> done = CompletableFuture.completedFuture(result);
    return new Execution() {
      @Override
      public OutputStream stdin() {
        throw new IllegalStateException("the workload did not start: " + result.detail());
      }

      @Override
      public CompletableFuture<ExitResult> onExit() {
        return done;
      }

      @Override
      public boolean isAlive() {
        return false;
      }

      @Override
      public void kill() {
        // nothing runs
      }
    };
  }

  /** A result for a run whose guest could not even be created. */
  public static ExitResult failedToStart(String detail, long sinceNanos) {
    return ExitResult.builder(Termination.FAILED_TO_START).detail(detail)
        .usage(Usage.of(Duration.ofNanos(System.nanoTime() - sinceNanos), null, -1)).build();
  }

  /** The workload's stdout; writing past the output budget stops the run with OUTPUT_LIMIT. */
  public OutputSink stdout() {
    return stdout;
  }

  /** The workload's stderr, sharing stdout's budget. */
  public OutputSink stderr() {
    return stderr;
  }

  public IsolateSpec spec() {
    return spec;
  }

  /** When the run's clock started, in {@link System#nanoTime()} terms. */
  public long startNanos() {
    return startNanos;
  }

  /** The wall-time deadline in {@link System#nanoTime()} terms. */
  public long deadline() {
    return deadlineNanos;
  }

  /** Connects the guest; a stop already requested reaches it now. */
  public void attach(Guest g) {
    Termination pending;
    synchronized (this) {
      guest = g;
      pending = guestEnded ? null : stopReason;
    }
    if (pending != null) {
      g.stop(pending);
    }
  }

  /** The stream {@link #stdin()} returns when the spec's stdin is a pipe. */
  public synchronized void stdinPipe(OutputStream pipe) {
    this.stdinPipe = pipe;
  }

  /**
   * Feeds the spec's stdin into {@code target}: bytes or an application stream are copied on a thread of their own
   * and {@code target} is closed at their end (the application's stream is not closed); with no stdin it is closed
   * at once; a pipe is left to the application ({@link #stdin()} returns {@code target}).
   */
  public void feedStdin(OutputStream target) {
    Input in = spec.stdin();
    switch (in.kind()) {
      case NONE -> closeQuietly(target);
      case PIPE -> stdinPipe(target);
      case BYTES -> STDIN_FEEDERS.execute(() -> {
        try (target) {
          target.write(in.bytes());
        } catch (IOException e) {
          // the workload closed its stdin early
        }
      });
      case STREAM -> STDIN_FEEDERS.execute(() -> {
        // The application's stream stays open (it is the application's), and feeding stops with the run: a read
        // that blocks cannot be interrupted, but what it returns after the end is not passed on, and nothing more
        // is read from a stream the application may go on using.
        InputStream source = in.stream().orElseThrow();
        byte[] buffer = new byte[1 << 16];
        try (target) {
          for (int n; !result.isDone() && (n = source.read(buffer)) >= 0; ) {
            if (result.isDone()) {
              break;
            }
            target.write(buffer, 0, n);
            target.flush();
          }
        } catch (IOException | RuntimeException e) {
          // either side closed early
        }
      });
    }
  }

  private static void closeQuietly(OutputStream s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  /** Starts enforcing the wall-time deadline and the CPU-time budget. */
  public void arm() {
    arm(true);
  }

  /**
   * Starts enforcing the limits; {@code wallDeadline} false leaves the wall time to the provider (a live isolate
   * serving calls, whose limit applies to each call).
   */
  public void arm(boolean wallDeadline) {
    synchronized (this) {
      if (armed || result.isDone()) {
        return;
      }
      armed = true;
      this.wallDeadline = wallDeadline;
    }
    Watchdog.get().register(this);
  }

  /** Stops the run for {@code reason} with the standard detail for it; the first reason wins. */
  public void stop(Termination reason) {
    stop(reason, null);
  }

  /**
   * Stops the run for {@code reason}; the first reason wins, and a stop after the guest ended changes nothing.
   *
   * @param detail what to say in the result, or null for the standard words for {@code reason}
   */
  public void stop(Termination reason, String detail) {
    Guest g;
    synchronized (this) {
      if (stopReason != null || guestEnded || result.isDone()) {
        return;
      }
      stopReason = reason;
      stopDetail = detail;
      if (graceNanos >= 0) {
        abandonAtNanos = System.nanoTime() + graceNanos;
      }
      g = guest;
    }
    if (detail == null && g != null) {
      String context = g.stopContext(reason);
      synchronized (this) {
        stopDetail = standardDetail(reason) + context;
      }
    }
    if (g != null) {
      g.stop(reason);
    }
  }

  /** The reason of the stop requested so far, or null. */
  public synchronized Termination stopReason() {
    return stopReason;
  }

  /**
   * Says the guest has ended (before the provider's own clean-up, which may take time): a stop requested from now
   * on changes nothing, and the guest is no longer abandoned.
   */
  public synchronized void guestEnded() {
    guestEnded = true;
  }

  private void outputLimitReached() {
    stop(Termination.OUTPUT_LIMIT);
  }

  private String standardDetail(Termination reason) {
    return switch (reason) {
      case TIMEOUT -> "the wall-time limit of " + spec.limits().wallTime() + " ran out";
      case CPU_LIMIT -> "the CPU-time limit of " + spec.limits().cpuTime().map(Duration::toString).orElse("?")
          + " ran out";
      case OUTPUT_LIMIT -> "the workload wrote more than " + SizeUnit.format(spec.limits().outputBytes())
          + " to stdout and stderr (the output limit)";
      case MEMORY_LIMIT -> "the memory limit of " + SizeUnit.format(spec.limits().memoryBytes()) + " was exceeded";
      case PIDS_LIMIT -> "the pids limit of " + spec.limits().pids() + " was reached";
      case KILLED -> "killed";
      default -> reason.toString();
    };
  }

  /**
   * Completes the run with how the guest ended; a stop's reason takes the place of the guest's own ending. Only the
   * first call (or an abandonment) counts.
   *
   * @return the run's result
   */
  public ExitResult finish(Ending ending) {
    Termination reason;
    String detail;
    synchronized (this) {
      guestEnded = true;
      reason = stopReason;
      detail = stopDetail != null ? stopDetail : reason == null ? null : standardDetail(reason);
    }
    Watchdog.get().unregister(this);
    Termination termination = ending.termination();
    int exitCode = ending.exitCode();
    String text = ending.detail();
    if (reason != null) {
      termination = reason;
      exitCode = -1;
      text = detail;
    }
    for (String problem : ending.problems()) {
      if (termination == Termination.EXITED) {
        text = "the guest exited with code " + exitCode + ", but " + problem;
        termination = Termination.FAULT;
        exitCode = -1;
      } else {
        text = (text.isEmpty() ? "" : text + "; ") + problem;
      }
    }
    for (OutputSink sink : new OutputSink[] {stdout, stderr}) {
      try {
        sink.checkStream();
      } catch (UncheckedIOException e) {
        String message = e.getCause().getMessage();
        text = (text.isEmpty() ? "" : text + "; ") + "the application's output stream failed: "
            + (message == null ? e.getCause().getClass().getSimpleName() : message);
      }
    }
    result.complete(ExitResult.builder(termination)
        .exitCode(exitCode)
        .detail(text)
        .stdout(stdout.captured())
        .stderr(stderr.captured())
        .usage(Usage.of(Duration.ofNanos(System.nanoTime() - startNanos), ending.cpuTime(), ending.peakMemoryBytes()))
        .unsupportedCalls(ending.unsupportedCalls())
        .build());
    return result.join();
  }

  @Override
  public synchronized long deadlineNanos() {
    if (guestEnded || result.isDone()) {
      return Long.MAX_VALUE;
    }
    if (stopReason != null) {
      return abandonAtNanos;
    }
    return wallDeadline ? deadlineNanos : Long.MAX_VALUE;
  }

  @Override
  public void expire(long nowNanos) {
    boolean abandon;
    Termination reason;
    String detail;
    synchronized (this) {
      if (guestEnded || result.isDone()) {
        return;
      }
      abandon = stopReason != null;
      reason = stopReason;
      detail = stopDetail;
    }
    if (!abandon) {
      stop(Termination.TIMEOUT);
      return;
    }
    // The guest did not end in time after the stop: deliver the result without it.
    finish(Ending.of(reason, -1, "").problem("the guest did not stop within " + graceNanos / 1_000_000
        + " ms and was abandoned"));
  }

  /**
   * How often a CPU-time budget is checked: a twentieth of it, between the watchdog's period and 100 ms, so that
   * many long budgets do not keep the watchdog busy and short ones end close to their limit.
   */
  public static long cpuCheckPeriodMillis(long budgetMillis) {
    return Math.max(Watchdog.PERIOD_MILLIS, Math.min(100, budgetMillis / 20));
  }

  /** The CPU-time budget, checked at the watchdog's ticks, every {@link #cpuCheckPeriodMillis} ms. */
  @Override
  public void tick() {
    if (cpuBudgetNanos < 0) {
      return;
    }
    long now = System.nanoTime();
    if (now - nextCpuCheckNanos < 0) {
      return;
    }
    nextCpuCheckNanos = now + cpuCheckPeriodNanos;
    Guest g;
    synchronized (this) {
      if (stopReason != null || guestEnded || (g = guest) == null) {
        return;
      }
    }
    if (g.cpuTimeNanos() > cpuBudgetNanos) {
      stop(Termination.CPU_LIMIT);
    }
  }

  @Override
  public synchronized OutputStream stdin() {
    if (spec.stdin().kind() != Input.Kind.PIPE) {
      throw new IllegalStateException("stdin is " + spec.stdin() + ", not a pipe: build the isolate with "
          + "stdin(Input.pipe()) to write to it");
    }
    if (stdinPipe == null) {
      throw new IllegalStateException("the workload did not start");
    }
    return stdinPipe;
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
    stop(Termination.KILLED);
  }

  /** Asks the guest to end (see {@link Guest#requestEnd()}) and kills it after {@code grace} if it has not. */
  @Override
  public void stop(Duration grace) {
    Guest g;
    synchronized (this) {
      if (guestEnded || result.isDone()) {
        return;
      }
      g = guest;
    }
    if (g == null || !g.requestEnd()) {
      kill();
      return;
    }
    GRACE_TIMERS.schedule(() -> {
      if (isAlive()) {
        kill();
      }
    }, grace.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
  }
}
