package io.isolate.container;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.IsolateSpec;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.container.cgroup.Cgroup;
import io.isolate.container.cgroup.CgroupStats;
import io.isolate.container.helper.HelperStatus;
import io.isolate.spi.DaemonThreads;
import io.isolate.spi.OutputSink;
import io.isolate.spi.RunSupervisor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One run of the helper, under a {@link RunSupervisor} (which keeps the wall time, the output budget and the
 * CPU-time budget, read from the cgroup): pumps stdio, watches the cgroup for out-of-memory kills and refused forks
 * (either stops the whole isolate), and turns the helper's status into the run's ending. Stopping is always SIGKILL to
 * the helper: its init dies with it (PR_SET_PDEATHSIG) and with the init the whole pid namespace; the cgroup is
 * killed as well.
 */
final class ContainerExecution implements RunSupervisor.Guest {
  static final long MONITOR_PERIOD_MS = 10;

  private static final ExecutorService IO = DaemonThreads.cached("isolate-container-io");
  private static final ScheduledExecutorService TIMERS = DaemonThreads.scheduler("isolate-container-timer");

  private final IsolateSpec spec;
  private final Process process;
  private final Cgroup cgroup;
  private final Path statusFile;
  private final RunSupervisor supervisor;
  private final ScheduledFuture<?> monitor;
  private final CompletableFuture<Void> stdoutDone;
  private final CompletableFuture<Void> stderrDone;
  private volatile CgroupStats lastStats = CgroupStats.NONE;
  /** The host ports the helper chose, by guest port, once read. */
  private volatile java.util.Map<Integer, Integer> ports;

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
    this.supervisor = new RunSupervisor(spec, null, startNanos);
    supervisor.attach(this);
    this.stdoutDone = callerAwaits ? null : pump(process.getInputStream(), supervisor.stdout());
    this.stderrDone = pump(process.getErrorStream(), supervisor.stderr());
    supervisor.feedStdin(process.getOutputStream());
    supervisor.arm();
    this.monitor = cgroup == null ? null
        : TIMERS.scheduleWithFixedDelay(this::checkCgroup, MONITOR_PERIOD_MS, MONITOR_PERIOD_MS, TimeUnit.MILLISECONDS);
    if (!callerAwaits) {
      // finished by whichever pump reaches its end last (see awaitEnd for why the ends of the pipes suffice)
      CompletableFuture.allOf(stdoutDone, stderrDone).whenComplete((v, e) -> finish());
    }
  }

  /**
   * The host port the helper bound for {@code guestPort}: it says so in the status file before it starts the
   * isolate, so this waits at most briefly (while the helper lives).
   */
  int mappedPort(int guestPort) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      java.util.Map<Integer, Integer> known = ports;
      if (known != null && known.containsKey(guestPort)) {
        return known.get(guestPort);
      }
      java.util.Map<Integer, Integer> read = HelperStatus.read(statusFile).ports();
      if (read.size() == spec.publishedPorts().size()) {
        ports = read;
        continue;
      }
      if (!supervisor.isAlive() || System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the isolate did not say which host port it bound for guest port "
            + guestPort + (supervisor.isAlive() ? " within 10 s" : " before it ended: "
                + supervisor.onExit().join().detail()));
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the isolate's host port", e);
      }
    }
  }

  /**
   * The host pid of the isolate's init, once the workload has started: the helper names init as soon as it is
   * cloned, but only when the workload runs has init finished building the isolate (its mounts, its cgroup
   * namespace), and a command joining before then would enter half of it (setns of the cgroup namespace fails).
   * Waits briefly.
   */
  long initPid() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      HelperStatus status = HelperStatus.read(statusFile);
      long pid = status.initPid();
      if (pid > 1 && status.started()) {
        return pid;
      }
      if (!supervisor.isAlive() || System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the isolate's workload is not running");
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the isolate to start", e);
      }
    }
  }

  /** The host pid of this run's helper, the parent of the isolate's init. */
  long helperPid() {
    return process.pid();
  }

  /** This run's cgroup, or null without cgroups. */
  Cgroup cgroup() {
    return cgroup;
  }

  /** What the application sees of this run. */
  Execution execution() {
    return supervisor;
  }

  /**
   * Pumps stdout on the calling thread until the end, then completes the result on it too: the end of the output
   * wakes this thread directly, with no hand-off to or from other threads (and no {@code Process.onExit()}, which
   * starts a thread per call when the common pool has a single thread, as on two CPUs).
   */
  ExitResult awaitOnCaller() {
    drain(process.getInputStream(), supervisor.stdout());
    awaitEnd();
    return supervisor.onExit().join();
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

  /** Copies a pipe into its sink (which stops the run once the output budget is spent) until its end. */
  private static void drain(InputStream in, OutputSink sink) {
    byte[] buf = new byte[16384];
    try (in) {
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        sink.write(buf, 0, n);
      }
    } catch (IOException | RuntimeException e) {
      // the pipe closed under us (the process is gone), or the sink failed: either way this pump is done
    }
  }

  private void checkCgroup() {
    CgroupStats s = cgroup.stats();
    lastStats = s;
    if (s.oomKills() > 0) {
      supervisor.stop(Termination.MEMORY_LIMIT, memoryDetail(s));
    } else if (s.pidsLimitHits() > 0) {
      supervisor.stop(Termination.PIDS_LIMIT, "pids limit " + spec.limits().pids() + " reached ("
          + s.pidsLimitHits() + " fork(s) refused)");
    }
  }

  private String memoryDetail(CgroupStats s) {
    return "memory limit " + SizeUnit.format(spec.limits().memoryBytes()) + " exceeded (" + s.oomKills()
        + " process(es) killed by the kernel)";
  }

  /** The CPU time of every process of this run, as the monitor last read it (its cgroup is its own). */
  @Override
  public long cpuTimeNanos() {
    Duration cpu = lastStats.cpuTime();
    return cpu == null ? -1 : cpu.toNanos();
  }

  @Override
  public String stopContext(Termination reason) {
    return reason == Termination.CPU_LIMIT ? " (" + lastStats.cpuTime() + " used by all its processes)" : "";
  }

  /** SIGTERM to the helper, which its init passes on to the workload (as the image's StopSignal, when it has one). */
  @Override
  public boolean requestEnd() {
    return process.toHandle().destroy();
  }

  @Override
  public void stop(Termination reason) {
    // SIGKILL through the handle: Process.destroyForcibly() would also close our ends of the pipes and lose the
    // output still in them
    process.toHandle().destroyForcibly();
    if (cgroup != null) {
      cgroup.killAll();
    }
  }

  private void finish() {
    RunSupervisor.Ending ending;
    try {
      if (monitor != null) {
        monitor.cancel(false);
      }
      HelperStatus status = HelperStatus.read(statusFile);
      if (ports == null && !status.ports().isEmpty()) {
        ports = status.ports();
      }
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
      Duration cpu = stats.cpuTime() != null ? stats.cpuTime() : status.cpuTime();
      long peak = stats.peakMemoryBytes() >= 0 ? stats.peakMemoryBytes() : status.maxRssBytes();
      ending = classify(status, stats).cpuTime(cpu).peakMemoryBytes(peak);
    } catch (RuntimeException | Error e) {
      ending = RunSupervisor.Ending.of(Termination.FAILED_TO_START, -1, "internal error: " + e);
    }
    supervisor.finish(ending);
  }

  private RunSupervisor.Ending classify(HelperStatus status, CgroupStats stats) {
    if (supervisor.stopReason() == null && stats.oomKills() > 0) {
      return RunSupervisor.Ending.of(Termination.MEMORY_LIMIT, -1, memoryDetail(stats));
    }
    if (supervisor.stopReason() == null && stats.pidsLimitHits() > 0 && status.exitCode() != 0) {
      return RunSupervisor.Ending.of(Termination.PIDS_LIMIT, -1, "pids limit " + spec.limits().pids()
          + " reached (" + stats.pidsLimitHits() + " fork(s) refused)");
    }
    if (status.setupError() != null) {
      return RunSupervisor.Ending.of(Termination.FAILED_TO_START, -1, "isolate set-up failed: " + status.setupError());
    }
    if (status.execError() != null) {
      return RunSupervisor.Ending.of(Termination.FAILED_TO_START, -1, "cannot execute " + status.execError());
    }
    if (status.signal() > 0) {
      int sig = status.signal();
      Termination t = Signals.isFault(sig) ? Termination.FAULT : Termination.KILLED;
      return RunSupervisor.Ending.of(t, 128 + sig, "killed by signal " + sig + " (" + Signals.name(sig) + ")");
    }
    if (status.exitCode() >= 0) {
      return RunSupervisor.Ending.exited(status.exitCode());
    }
    if (status.started()) {
      // the workload ran, and neither it nor we ended it: its init or the helper was killed from outside
      return RunSupervisor.Ending.of(Termination.KILLED, -1, "the isolate was ended from outside while the "
          + "workload ran (" + (status.initSignal() > 0 ? "its init was killed by signal " + status.initSignal()
              + " (" + Signals.name(status.initSignal()) + ")" : "its helper ended with code " + helperExitCode())
          + ")");
    }
    int code = helperExitCode();
    String said = new String(supervisor.stderr().captured(), StandardCharsets.UTF_8).trim();
    return RunSupervisor.Ending.of(Termination.FAILED_TO_START, -1, "the helper ended with code " + code
        + " before the workload ran"
        + (status.initSignal() > 0 ? " (its init was killed by signal " + status.initSignal() + ")" : "")
        + (said.isEmpty() ? "" : ": " + said.lines().reduce((a, b) -> b).orElse("")));
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
}
