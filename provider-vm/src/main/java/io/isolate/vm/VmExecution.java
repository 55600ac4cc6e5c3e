package io.isolate.vm;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.IsolateSpec;
import io.isolate.Mount;
import io.isolate.Termination;
import io.isolate.spi.DaemonThreads;
import io.isolate.spi.ImageFiles;
import io.isolate.spi.OutputSink;
import io.isolate.spi.RunSupervisor;
import io.isolate.vm.elf.ElfException;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.linux.LinuxProcess;
import io.isolate.vm.linux.ProcessConfig;
import io.isolate.vm.vstate.VmPool;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.ExecutorService;

/**
 * One run of a HARDWARE isolate: a fresh VM and its vCPU thread, under a {@link RunSupervisor} that holds it to its
 * limits (a stop kicks the vCPU out of the guest) and completes the result when it ends.
 */
final class VmExecution implements RunSupervisor.Guest {
  private static final ExecutorService VCPU_THREADS = DaemonThreads.cached("isolate-vm-vcpu");
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final RunSupervisor supervisor;
  private volatile LinuxProcess process;
  private boolean released;

  private VmExecution(IsolateSpec spec) {
    this.supervisor = new RunSupervisor(spec, null);
  }

  /** Creates the VM on the calling thread (so that set-up failures are reported at once) and starts it. */
  static VmExecution start(IsolateSpec spec) {
    VmExecution e = prepare(spec);
    if (e.supervisor.isAlive()) {
      e.supervisor.arm();
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
    try {
      ProcessConfig config = configure(spec, e.supervisor.stdout(), e.supervisor.stderr());
      e.process = LinuxProcess.create(config);
      if (spec.stdin().kind() == Input.Kind.PIPE) {
        e.supervisor.stdinPipe(config.stdinWriter());
      }
      e.supervisor.attach(e);
    } catch (ElfException | KvmException | IllegalArgumentException | java.io.UncheckedIOException ex) {
      e.supervisor.finish(RunSupervisor.Ending.of(Termination.FAILED_TO_START, -1, ex.getMessage()));
    }
    return e;
  }

  /** What the application sees of this run. */
  Execution execution() {
    return supervisor;
  }

  /**
   * Runs the program on the calling thread (no thread hand-off) and returns its result; the VM is released later,
   * by {@link #release()}.
   */
  ExitResult runOnCallerThread() {
    if (supervisor.isAlive()) {
      supervisor.arm();
      execute();
    }
    return supervisor.onExit().join();
  }

  static ProcessConfig configure(IsolateSpec spec, OutputSink stdout, OutputSink stderr) {
    ProcessConfig c = new ProcessConfig(spec.workload().content(), spec.workload().name())
        .args(spec.workload().args())
        .env(spec.env())
        .memoryBytes(spec.limits().memoryBytes())
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
    // the result is complete before the VM is torn down (which can take milliseconds in the host kernel),
    // and the teardown happens in the background
    execute();
    release();
  }

  private void execute() {
    LinuxProcess p = process;
    long cpu0 = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    RunSupervisor.Ending ending;
    try {
      LinuxProcess.Outcome o = p.run();
      long cpu = cpu0 >= 0 ? THREADS.getCurrentThreadCpuTime() - cpu0 : -1;
      ending = RunSupervisor.Ending.of(o.termination(), o.exitCode(), o.detail())
          .cpuTime(cpu >= 0 ? Duration.ofNanos(cpu) : null)
          .peakMemoryBytes(o.peakMemoryBytes())
          .unsupportedCalls(o.unsupportedCalls());
    } catch (RuntimeException | Error e) {
      ending = RunSupervisor.Ending.of(Termination.FAULT, -1, "the VMM failed: " + e);
    }
    supervisor.finish(ending);
  }

  /** Kicks the vCPU out of the guest; the run loop sees the stop and ends. */
  @Override
  public void stop(Termination reason) {
    process.stop(reason);
  }

  @Override
  public long cpuTimeNanos() {
    return process.cpuTimeNanos();
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

  /**
   * Kills the run and waits until it has ended (its guest-side file descriptors are closed then); the VM itself is
   * torn down in the background ({@link VmPool#drain()} waits for that).
   */
  void killAndRelease() {
    supervisor.kill();
    supervisor.onExit().join();
    release();
  }
}
