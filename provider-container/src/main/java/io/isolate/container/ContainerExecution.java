package io.isolate.container;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.IsolateSpec;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.Usage;
import io.isolate.container.cgroup.Cgroup;
import io.isolate.container.cgroup.CgroupStats;
import io.isolate.container.helper.HelperStatus;
import io.isolate.spi.DaemonThreads;
import io.isolate.spi.OutputSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One run of the helper: pumps stdio through {@link OutputSink}s, enforces the wall time, watches the cgroup for
 * out-of-memory kills and refused forks (either stops the whole isolate), and turns the end into an
 * {@link ExitResult}. Stopping is always SIGKILL to the helper: its init dies with it (PR_SET_PDEATHSIG) and with
 * the init the whole pid namespace; the cgroup is killed as well.
 */
final class ContainerExecution implements Execution {
  static final long MONITOR_PERIOD_MS = 10;

  private static final ExecutorService IO = DaemonThreads.cached("isolate-container-io");
  private static final ScheduledExecutorService TIMERS = DaemonThreads.scheduler("isolate-container-timer");

  private final IsolateSpec spec;
  private final Process process;
  private final Cgroup cgroup;
  private final Path statusFile;
  private final long startNanos;
  private final OutputSink stdout;
  private final OutputSink stderr;
  private final AtomicReference<Termination> stopReason = new AtomicReference<>();
  private final CompletableFuture<ExitResult> result = new CompletableFuture<>();
  private final ScheduledFuture<?> timeout;
  private final ScheduledFuture<?> monitor;
  private final CompletableFuture<Void> stdoutDone;
  private final CompletableFuture<Void> stderrDone;
  private volatile CgroupStats lastStats = CgroupStats.NONE;

  /**
   * @param callerAwaits true when the caller will call {@link #awaitOnCaller()} (a blocking run, which pumps stdout
   *     itself), false to have I/O threads pump and finish
   */
  ContainerExecution(IsolateSpec spec, Process process, Cgroup cgroup, Path statusFile, long startNanos,
      boolean callerAwaits) {
    this.spec = spec;
    this.process = process;
    this.cgroup = cgroup;
    this.statusFile = statusFile;
    this.startNanos = startNanos;
    OutputSink.Budget budget = new OutputSink.Budget(spec.limits().outputBytes());
    this.stdout = new OutputSink(spec.stdout(), budget);
    this.stderr = new OutputSink(spec.stderr(), budget);
    this.stdoutDone = callerAwaits ? null : pump(process.getInputStream(), stdout);
    this.stderrDone = pump(process.getErrorStream(), stderr);
    feedStdin();
    long wallNanos = spec.limits().wallTime().toNanos();
    this.timeout = TIMERS.schedule(() -> stop(Termination.TIMEOUT), wallNanos, TimeUnit.NANOSECONDS);
    this.monitor = cgroup == null ? null
        : TIMERS.scheduleWithFixedDelay(this::checkCgroup, MONITOR_PERIOD_MS, MONITOR_PERIOD_MS, TimeUnit.MILLISECONDS);
    if (!callerAwaits) {
      // finished by whichever pump reaches its end last (see awaitEnd for why the ends of the pipes suffice)
      CompletableFuture.allOf(stdoutDone, stderrDone).whenComplete((v, e) -> finish());
    }
  }

  /**
   * Pumps stdout on the calling thread until the end, then completes the result on it too: the end of the output
   * wakes this thread directly, with no hand-off to or from other threads (and no {@code Process.onExit()}, which
   * starts a thread per call when the common pool has a single thread, as on two CPUs).
   */
  ExitResult awaitOnCaller() {
    drain(process.getInputStream(), stdout);
    awaitEnd();
    return result.join();
  }

  /**
   * Waits until both pipes are at their end, then finishes. The helper, its init and every process of the isolate
   * hold them until they exit (the pid namespace ends with init, the helper writes its last status line before it
   * exits), so at the end of both the status file is complete; the JDK's reaper collects the helper meanwhile.
   */
  private void awaitEnd() {
    try {
      if (stdoutDone != null) {
        stdoutDone.join();
      }
      stderrDone.join();
    } finally {
      finish();
    }
  }

  private CompletableFuture<Void> pump(InputStream in, OutputSink sink) {
    return CompletableFuture.runAsync(() -> drain(in, sink), IO);
  }

  private void drain(InputStream in, OutputSink sink) {
    byte[] buf = new byte[16384];
    try (in) {
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        if (!sink.write(buf, 0, n)) {
          stop(Termination.OUTPUT_LIMIT);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the pipe closed under us (the process is gone), or the sink failed: either way this pump is done
    }
  }

  private void feedStdin() {
    Input in = spec.stdin();
    OutputStream pipe = process.getOutputStream();
    switch (in.kind()) {
      case NONE -> closeQuietly(pipe);
      case PIPE -> {
        // the application writes through stdin()
      }
      case BYTES -> IO.execute(() -> {
        try (pipe) {
          pipe.write(in.bytes());
        } catch (IOException e) {
          // the workload closed its stdin early
        }
      });
      case STREAM -> IO.execute(() -> {
        try (pipe; InputStream source = in.stream().orElseThrow()) {
          source.transferTo(pipe);
        } catch (IOException e) {
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

  private void checkCgroup() {
    CgroupStats s = cgroup.stats();
    lastStats = s;
    if (s.oomKills() > 0) {
      stop(Termination.MEMORY_LIMIT);
    } else if (s.pidsLimitHits() > 0) {
      stop(Termination.PIDS_LIMIT);
    } else if (s.cpuTime() != null && spec.limits().cpuTime().isPresent()
        && s.cpuTime().compareTo(spec.limits().cpuTime().get()) > 0) {
      // the CPU time of every process of this run (its cgroup is its own): a fork bomb's children count too
      stop(Termination.CPU_LIMIT);
    }
  }

  /** Stops the isolate for {@code reason}; the first reason wins. */
  void stop(Termination reason) {
    stopReason.compareAndSet(null, reason);
    // SIGKILL through the handle: Process.destroyForcibly() would also close our ends of the pipes and lose the
    // output still in them
    process.toHandle().destroyForcibly();
    if (cgroup != null) {
      cgroup.killAll();
    }
  }

  private void finish() {
    try {
      timeout.cancel(false);
      if (monitor != null) {
        monitor.cancel(false);
      }
      long wall = System.nanoTime() - startNanos;
      HelperStatus status = HelperStatus.read(statusFile);
      CgroupStats stats = cgroup == null ? CgroupStats.NONE : cgroup.stats();
      if (cgroup != null) {
        lastStats = stats;
        cgroup.close();
      }
      try {
        Files.deleteIfExists(statusFile);
      } catch (IOException ignored) {
        // removed with the run directory on close
      }
      result.complete(classify(status, stats, Duration.ofNanos(wall)));
    } catch (RuntimeException | Error e) {
      result.complete(ExitResult.builder(Termination.FAILED_TO_START).detail("internal error: " + e).build());
    }
  }

  private ExitResult classify(HelperStatus status, CgroupStats stats, Duration wall) {
    Termination reason = stopReason.get();
    ExitResult.Builder r;
    if (reason == null && stats.oomKills() > 0) {
      reason = Termination.MEMORY_LIMIT;
    } else if (reason == null && stats.pidsLimitHits() > 0 && !(status.exitCode() == 0)) {
      reason = Termination.PIDS_LIMIT;
    }
    if (reason != null) {
      r = ExitResult.builder(reason).exitCode(reason == Termination.KILLED ? 128 + 9 : -1).detail(detail(reason));
    } else if (status.setupError() != null) {
      r = ExitResult.builder(Termination.FAILED_TO_START).detail("isolate set-up failed: " + status.setupError());
    } else if (status.execError() != null) {
      r = ExitResult.builder(Termination.FAILED_TO_START).detail("cannot execute " + status.execError());
    } else if (status.signal() > 0) {
      int sig = status.signal();
      Termination t = Signals.isFault(sig) ? Termination.FAULT : Termination.KILLED;
      r = ExitResult.builder(t).exitCode(128 + sig).detail("killed by signal " + sig + " (" + Signals.name(sig) + ")");
    } else if (status.exitCode() >= 0) {
      r = ExitResult.builder(Termination.EXITED).exitCode(status.exitCode());
    } else if (status.started()) {
      // the workload ran, and neither it nor we ended it: its init or the helper was killed from outside
      r = ExitResult.builder(Termination.KILLED).exitCode(-1)
          .detail("the isolate was ended from outside while the workload ran ("
              + (status.initSignal() > 0 ? "its init was killed by signal " + status.initSignal() + " ("
                  + Signals.name(status.initSignal()) + ")" : "its helper ended with code " + helperExitCode()) + ")");
    } else {
      int code = helperExitCode();
      String said = new String(stderr.captured(), java.nio.charset.StandardCharsets.UTF_8).trim();
      r = ExitResult.builder(Termination.FAILED_TO_START).exitCode(-1)
          .detail("the helper ended with code " + code + " before the workload ran"
              + (status.initSignal() > 0 ? " (its init was killed by signal " + status.initSignal() + ")" : "")
              + (said.isEmpty() ? "" : ": " + said.lines().reduce((a, b) -> b).orElse("")));
    }
    Duration cpu = stats.cpuTime() != null ? stats.cpuTime() : status.cpuTime();
    long peak = stats.peakMemoryBytes() >= 0 ? stats.peakMemoryBytes() : status.maxRssBytes();
    return r.stdout(stdout.captured()).stderr(stderr.captured()).usage(Usage.of(wall, cpu, peak)).build();
  }

  /** The helper's exit code; its pipes are closed, so it is exiting, if not already collected by the reaper. */
  private int helperExitCode() {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return process.waitFor();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private String detail(Termination reason) {
    return switch (reason) {
      case TIMEOUT -> "wall time " + spec.limits().wallTime() + " exceeded";
      case MEMORY_LIMIT -> "memory limit " + SizeUnit.format(spec.limits().memoryBytes()) + " exceeded ("
          + lastStats.oomKills() + " process(es) killed by the kernel)";
      case PIDS_LIMIT -> "pids limit " + spec.limits().pids() + " reached (" + lastStats.pidsLimitHits()
          + " fork(s) refused)";
      case OUTPUT_LIMIT -> "output limit " + SizeUnit.format(spec.limits().outputBytes()) + " exceeded";
      case CPU_LIMIT -> "CPU-time limit " + spec.limits().cpuTime().orElseThrow() + " exceeded ("
          + lastStats.cpuTime() + " used by all its processes)";
      case KILLED -> "killed";
      default -> reason.toString();
    };
  }

  @Override
  public OutputStream stdin() {
    if (spec.stdin().kind() != Input.Kind.PIPE) {
      throw new IllegalStateException("stdin is " + spec.stdin() + ", not a pipe; build the isolate with Input.pipe()");
    }
    return process.getOutputStream();
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
    if (!result.isDone()) {
      stop(Termination.KILLED);
    }
  }
}
