package io.isolate.vm;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.IsolateSpec;
import io.isolate.Mount;
import io.isolate.Termination;
import io.isolate.Usage;
import io.isolate.spi.DaemonThreads;
import io.isolate.spi.ImageFiles;
import io.isolate.spi.OutputSink;
import io.isolate.vm.elf.ElfException;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.linux.LinuxProcess;
import io.isolate.vm.linux.ProcessConfig;
import io.isolate.vm.vstate.VmPool;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/** One run of a HARDWARE isolate: a fresh VM, its vCPU thread, and the result when it ends. */
final class VmExecution implements Execution {
  private static final ExecutorService VCPU_THREADS = DaemonThreads.cached("isolate-vm-vcpu");
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final CompletableFuture<ExitResult> exit = new CompletableFuture<>();
  private final OutputSink stdout;
  private final OutputSink stderr;
  private ProcessConfig config;
  private volatile LinuxProcess process;
  private volatile boolean killed;
  private volatile boolean released;

  private VmExecution(IsolateSpec spec) {
    OutputSink.Budget budget = new OutputSink.Budget(spec.limits().outputBytes());
    this.stdout = new OutputSink(spec.stdout(), budget);
    this.stderr = new OutputSink(spec.stderr(), budget);
  }

  /** Creates the VM on the calling thread (so that set-up failures are reported at once) and starts it. */
  static VmExecution start(IsolateSpec spec) {
    VmExecution e = prepare(spec);
    if (!e.exit.isDone()) {
      VCPU_THREADS.execute(e::runOnVcpuThread);
    }
    return e;
  }

  /**
   * Creates the VM on the calling thread, ready for {@link #runOnCallerThread()}; a set-up failure completes the
   * result at once (FAILED_TO_START).
   */
  static VmExecution prepare(IsolateSpec spec) {
    VmExecution e = new VmExecution(spec);
    long t0 = System.nanoTime();
    try {
      e.config = configure(spec, e.stdout, e.stderr);
      e.process = LinuxProcess.create(e.config);
    } catch (ElfException | KvmException | IllegalArgumentException | java.io.UncheckedIOException ex) {
      e.exit.complete(e.failedToStart(ex.getMessage(), t0));
    }
    return e;
  }

  /**
   * Runs the program on the calling thread (no thread hand-off) and returns its result; the VM is released later,
   * by {@link #release()}.
   */
  ExitResult runOnCallerThread() {
    if (!exit.isDone()) {
      exit.complete(execute());
    }
    return exit.join();
  }

  static ProcessConfig configure(IsolateSpec spec, OutputSink stdout, OutputSink stderr) {
    ProcessConfig c = new ProcessConfig(spec.workload().content(), spec.workload().name())
        .args(spec.workload().args())
        .env(spec.env())
        .memoryBytes(spec.limits().memoryBytes())
        .wallTime(spec.limits().wallTime())
        .cpuTime(spec.limits().cpuTime().orElse(null))
        .workingDir(spec.workingDir())
        .hostname(spec.hostname())
        .denySyscalls(spec.deniedSyscalls())
        .stdin(spec.stdin())
        .stdout(stdout)
        .stderr(stderr);
    for (Mount m : spec.mounts()) {
      switch (m.kind()) {
        case READ_ONLY -> c.mountDirectory(m.guestPath(), m.hostPath().orElseThrow(), false);
        case READ_WRITE -> c.mountDirectory(m.guestPath(), m.hostPath().orElseThrow(), true);
        case FILE -> c.mountFile(m.guestPath(), m.content());
        case IMAGE -> c.mountFile(m.guestPath(), readImage(m));
        case TMPFS -> throw new IllegalArgumentException("tmpfs mounts are not available at the HARDWARE level");
      }
    }
    return c;
  }

  /** The content of an image mount, which the HARDWARE level holds in memory, at most VmBackend's cap. */
  private static byte[] readImage(Mount m) {
    try {
      return ImageFiles.readAll(m.hostPath().orElseThrow(), VmBackend.MAX_IMAGE_BYTES);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("mount " + m + ": " + e.getMessage(), e);
    }
  }

  private void runOnVcpuThread() {
    ExitResult result = execute();
    // the result is complete before the VM is torn down (which can take milliseconds in the host kernel),
    // and the teardown happens in the background
    exit.complete(result);
    release();
  }

  private ExitResult execute() {
    LinuxProcess p = process;
    long cpu0 = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    ExitResult result;
    try {
      if (killed) {
        p.stop(Termination.KILLED);
      }
      LinuxProcess.Outcome o = p.run();
      long cpu = cpu0 >= 0 ? THREADS.getCurrentThreadCpuTime() - cpu0 : -1;
      result = ExitResult.builder(o.termination())
          .exitCode(o.exitCode())
          .detail(o.detail())
          .stdout(stdout.captured())
          .stderr(stderr.captured())
          .usage(Usage.of(o.wallTime(), cpu >= 0 ? Duration.ofNanos(cpu) : null, o.peakMemoryBytes()))
          .unsupportedCalls(o.unsupportedCalls())
          .build();
    } catch (RuntimeException | Error e) {
      result = ExitResult.builder(Termination.FAULT)
          .detail("the VMM failed: " + e)
          .stdout(stdout.captured())
          .stderr(stderr.captured())
          .build();
    }
    return result;
  }

  /**
   * Releases the VM of a run that has ended (every fd and mapping), on the VM pool's background thread: the
   * result is out already, and the kernel's teardown of a VM takes a few hundred microseconds. Idempotent.
   */
  synchronized void release() {
    LinuxProcess p = process;
    if (p != null && !released) {
      released = true;
      VmPool.closeLater(p);
    }
  }

  private ExitResult failedToStart(String reason, long t0) {
    return ExitResult.builder(Termination.FAILED_TO_START)
        .detail(reason)
        .usage(Usage.of(Duration.ofNanos(System.nanoTime() - t0), null, -1))
        .build();
  }

  @Override
  public OutputStream stdin() {
    if (config == null) {
      throw new IllegalStateException("the workload did not start");
    }
    return config.stdinWriter();
  }

  @Override
  public CompletableFuture<ExitResult> onExit() {
    return exit;
  }

  @Override
  public boolean isAlive() {
    return !exit.isDone();
  }

  @Override
  public void kill() {
    killed = true;
    LinuxProcess p = process;
    if (p != null && !exit.isDone()) {
      p.stop(Termination.KILLED);
    }
  }

  /**
   * Kills the run and waits until it has ended (its guest-side file descriptors are closed then); the VM itself is
   * torn down in the background ({@link VmPool#drain()} waits for that).
   */
  void killAndRelease() {
    kill();
    exit.join();
    release();
  }
}
