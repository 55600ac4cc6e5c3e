package io.isolate.pv;

import io.isolate.Execution;
import io.isolate.GuestFailureException;
import io.isolate.HostFunction;
import io.isolate.InvalidSpecException;
import io.isolate.IsolateSpec;
import io.isolate.Network;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.spi.IsolateBackend;

/**
 * One PARAVIRT isolate: checks its spec once; {@link #start()} runs the guest's main in a fresh VM, and
 * {@link #call} talks to a live guest (started on the first call and kept for the next ones; if it ends, the next
 * call boots a fresh one).
 */
final class PvBackend implements IsolateBackend {
  static final long MIN_MEMORY = 4L << 20;
  static final long MAX_MEMORY = 1L << 30;

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
    if (!spec.mounts().isEmpty()) {
      throw new InvalidSpecException("mounts (" + spec.mounts() + ") are not available at the PARAVIRT level: "
          + "guests have no file system; pass data through calls");
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
    return current;
  }

  @Override
  public byte[] call(String function, byte[] input) {
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
    return live.call(function, input);
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
