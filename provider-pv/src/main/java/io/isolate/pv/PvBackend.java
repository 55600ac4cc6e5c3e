package io.isolate.pv;

import io.isolate.Execution;
import io.isolate.GuestFailureException;
import io.isolate.HostFunction;
import io.isolate.InvalidSpecException;
import io.isolate.IsolateSpec;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.pv.devices.BlockDevice;
import io.isolate.pv.devices.DiskImage;
import io.isolate.spi.IsolateBackend;

/**
 * One PARAVIRT isolate: checks its spec once; {@link #start()} runs the guest's main in a fresh VM, and
 * {@link #call} talks to a live guest (started on the first call and kept for the next ones; if it ends, the next
 * call boots a fresh one).
 */
final class PvBackend implements IsolateBackend {
  static final long MIN_MEMORY = 4L << 20;
  static final long MAX_MEMORY = 1L << 30;
  /** Disks a guest can find (the SDK's ISOLATE_DISK_MAX). */
  static final int MAX_DISKS = 16;

  private final IsolateSpec spec;
  private PvExecution current;
  private boolean closed;

  PvBackend(IsolateSpec spec) {
    this.spec = spec;
    long memory = spec.limits().memoryBytes();
    if (memory < MIN_MEMORY || memory > MAX_MEMORY || memory % (2 << 20) != 0) {
      throw new InvalidSpecException("memory (" + SizeUnit.format(memory) + ") must be a multiple of 2 MiB between "
          + "4 MiB and 1 GiB at the PARAVIRT level: it is the guest's RAM");
    }
    if (spec.network() != Network.NONE) {
      throw new InvalidSpecException("network (" + spec.network() + ") is not available at the PARAVIRT level: "
          + "guests have no network device; use Network.NONE");
    }
    if (spec.mounts().size() > MAX_DISKS) {
      throw new InvalidSpecException(spec.mounts().size() + " mounts: a PARAVIRT guest takes at most " + MAX_DISKS
          + " disks");
    }
    for (Mount m : spec.mounts()) {
      if (m.kind() == Mount.Kind.READ_ONLY || m.kind() == Mount.Kind.READ_WRITE) {
        throw new InvalidSpecException("mount " + m + ": PARAVIRT guests have no file system, and a directory cannot "
            + "be a disk; mount a file system image (Mount.image), bytes (Mount.file) or a scratch disk "
            + "(Mount.tmpfs)");
      }
      if (m.kind() == Mount.Kind.TMPFS && m.sizeBytes() > DiskImage.MAX_SCRATCH_BYTES) {
        throw new InvalidSpecException("mount " + m + ": a PARAVIRT scratch disk holds at most "
            + SizeUnit.format(DiskImage.MAX_SCRATCH_BYTES) + " (a sparse file in the host's temporary directory)");
      }
      try {
        BlockDevice.validId(m.guestPath());
      } catch (IllegalArgumentException e) {
        throw new InvalidSpecException("mount " + m + ": at the PARAVIRT level the guest path names the disk, and "
            + e.getMessage());
      }
    }
    if (!spec.env().isEmpty()) {
      throw new InvalidSpecException("environment variables (" + spec.env().keySet() + ") are not available at the "
          + "PARAVIRT level: pass settings as guest arguments");
    }
    if (!spec.deniedSyscalls().isEmpty() || !spec.allowedSyscalls().isEmpty()) {
      throw new InvalidSpecException("system call policies do not apply at the PARAVIRT level: guests make "
          + "hypercalls, not system calls");
    }
    if (spec.limits().cpus() < 1.0 && !spec.acceptUnenforcedLimits()) {
      throw new InvalidSpecException("cpus (" + spec.limits().cpus() + ") below 1 cannot be enforced at the "
          + "PARAVIRT level (one vCPU, no quota); accept unenforced limits to run anyway");
    }
    if (spec.limits().cpuTime().isPresent() && !spec.acceptUnenforcedLimits()
        && !java.lang.management.ManagementFactory.getThreadMXBean().isThreadCpuTimeSupported()) {
      throw new InvalidSpecException("cpuTime cannot be enforced at the PARAVIRT level on this JVM (no thread CPU "
          + "time); accept unenforced limits to run anyway");
    }
    for (HostFunction f : spec.hostFunctions()) {
      if (!f.isBytes()) {
        throw new InvalidSpecException("host function " + f + " is typed; PARAVIRT guests call bytes functions "
            + "(HostFunction.ofBytes)");
      }
    }
  }

  @Override
  public synchronized Execution start() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    if (current != null && current.isAlive()) {
      throw new IllegalStateException("the guest is still running; a PARAVIRT isolate runs one guest at a time");
    }
    current = PvExecution.start(spec, true);
    return current.execution();
  }

  @Override
  public java.util.Set<String> functions() {
    return serving().functions();
  }

  @Override
  public byte[] call(String function, byte[] input) {
    return serving().call(function, input);
  }

  /** The live guest that serves calls, started if none runs. */
  private PvExecution serving() {
    PvExecution live;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      if (current == null || !current.isAlive()) {
        current = PvExecution.start(spec, false);
      }
      live = current;
    }
    if (!live.isAlive()) {
      var r = live.onExit().join();
      throw new GuestFailureException(r.termination() == Termination.EXITED ? Termination.FAILED_TO_START
          : r.termination(), "the guest did not start serving calls: " + r.detail());
    }
    return live;
  }

  @Override
  public void close() {
    PvExecution e;
    synchronized (this) {
      closed = true;
      e = current;
    }
    if (e != null) {
      e.killAndRelease();
    }
  }
}
