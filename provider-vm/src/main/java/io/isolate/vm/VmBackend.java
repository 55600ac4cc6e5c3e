package io.isolate.vm;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.InvalidSpecException;
import io.isolate.IsolateSpec;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.SizeUnit;
import io.isolate.spi.IsolateBackend;
import java.lang.management.ManagementFactory;

/** One HARDWARE isolate: checks its spec once, then runs each {@link #start()} in a fresh VM. */
final class VmBackend implements IsolateBackend {
  static final long MIN_MEMORY = 4L << 20;
  static final long MAX_MEMORY = 64L << 30;
  static final long MAX_IMAGE_BYTES = 256L << 20;

  private final IsolateSpec spec;
  private VmExecution current;
  private boolean closed;

  VmBackend(IsolateSpec spec) {
    this.spec = spec;
    long memory = spec.limits().memoryBytes();
    if (memory < MIN_MEMORY || memory > MAX_MEMORY) {
      throw new InvalidSpecException("memory (" + SizeUnit.format(memory) + ") must be between 4 MiB and 64 GiB "
          + "at the HARDWARE level: it is the guest's RAM");
    }
    if (spec.network() != Network.NONE) {
      throw new InvalidSpecException("network (" + spec.network() + ") is not available at the HARDWARE level: "
          + "guests have no network device; use Network.NONE");
    }
    for (Mount m : spec.mounts()) {
      if (m.kind() == Mount.Kind.TMPFS) {
        throw new InvalidSpecException("mount " + m + ": the HARDWARE level has no tmpfs; mount a host directory "
            + "read-write instead");
      }
      if (m.kind() == Mount.Kind.IMAGE && m.sizeBytes() > MAX_IMAGE_BYTES) {
        throw new InvalidSpecException("mount " + m + " (" + SizeUnit.format(m.sizeBytes()) + "): the HARDWARE level "
            + "holds image mounts in memory, at most " + SizeUnit.format(MAX_IMAGE_BYTES) + "; mount its directory "
            + "read-only instead");
      }
    }
    if (spec.limits().cpus() < 1.0 && !spec.acceptUnenforcedLimits()) {
      throw new InvalidSpecException("cpus (" + spec.limits().cpus() + ") below 1 cannot be enforced at the "
          + "HARDWARE level (one vCPU, no quota); accept unenforced limits to run anyway");
    }
    if (spec.limits().cpuTime().isPresent() && !ManagementFactory.getThreadMXBean().isThreadCpuTimeSupported()
        && !spec.acceptUnenforcedLimits()) {
      throw new InvalidSpecException("cpuTime cannot be enforced at the HARDWARE level on this JVM (no thread CPU "
          + "time); accept unenforced limits to run anyway");
    }
    if (!spec.hostFunctions().isEmpty()) {
      throw new InvalidSpecException("host functions (" + spec.hostFunctions().size() + ") are not available at "
          + "the HARDWARE level");
    }
    SyscallPolicy.check(spec.deniedSyscalls(), spec.allowedSyscalls());
  }

  @Override
  public synchronized Execution start() {
    releasePrevious();
    current = VmExecution.start(spec);
    return current.execution();
  }

  /** Runs the program on the calling thread: no hand-off to a vCPU thread. */
  @Override
  public ExitResult run() {
    if (spec.limits().cpuTime().isPresent() && ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() < 0) {
      return start().await(); // a virtual thread's CPU time cannot be read: run on a vCPU thread of our own
    }
    VmExecution e;
    synchronized (this) {
      releasePrevious();
      e = VmExecution.prepare(spec);
      current = e;
    }
    return e.runOnCallerThread();
  }

  private void releasePrevious() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    if (current != null) {
      if (current.execution().isAlive()) {
        throw new IllegalStateException("the previous run has not ended; a HARDWARE isolate runs one program at a "
            + "time");
      }
      current.release();
    }
  }

  @Override
  public void close() {
    VmExecution e;
    synchronized (this) {
      closed = true;
      e = current;
    }
    if (e != null) {
      e.killAndRelease();
    }
  }
}
