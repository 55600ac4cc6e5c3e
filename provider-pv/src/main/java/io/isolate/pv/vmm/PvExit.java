package io.isolate.pv.vmm;

/**
 * How a PARAVIRT guest's run ended.
 *
 * @param kind why
 * @param code the guest's exit code (EXITED), else -1
 * @param message what happened, for FAULT and KILLED
 */
public record PvExit(Kind kind, int code, String message) {
  /** Why a run ended. */
  public enum Kind {
    /** The guest made the EXIT hypercall. */
    EXITED,
    /** The guest faulted (exception, a system call, a VM entry failure); the message says where. */
    FAULT,
    /** The host stopped it: closed, or past its deadline. */
    KILLED
  }

  static PvExit exited(int code) {
    return new PvExit(Kind.EXITED, code, "exited with " + code);
  }

  static PvExit fault(String message) {
    return new PvExit(Kind.FAULT, -1, message);
  }

  static PvExit killed(String message) {
    return new PvExit(Kind.KILLED, -1, message);
  }
}
