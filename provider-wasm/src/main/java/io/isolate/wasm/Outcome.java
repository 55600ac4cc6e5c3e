package io.isolate.wasm;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionCompletedException;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasm.ChicoryException;
import io.isolate.Termination;

/**
 * How a guest ended, worked out from what its thread threw. One place decides this for runs and for calls.
 *
 * <p>Rules, in order: a stop requested from outside (deadline, kill, output cap) wins over whatever the guest
 * did next; {@code proc_exit} is {@link Termination#EXITED} with its code; a module whose declared memory is
 * above the limit is {@link Termination#MEMORY_LIMIT}; a trap is {@link Termination#TRAP} with Chicory's
 * message, <em>except</em> after a refused {@code memory.grow}, when it is {@link Termination#MEMORY_LIMIT}: the
 * typical memory bomb is a C program whose malloc fails and which then aborts, and its user wants to hear about
 * the limit, not about {@code unreachable}. Java stack traces never reach the detail.
 */
final class Outcome {
  final Termination termination;
  final int exitCode;
  final String detail;

  Outcome(Termination termination, int exitCode, String detail) {
    this.termination = termination;
    this.exitCode = exitCode;
    this.detail = detail;
  }

  static Outcome exited(int code) {
    return new Outcome(Termination.EXITED, code, "");
  }

  /**
   * Classifies {@code thrown}.
   *
   * @param memory the guest's memory, null if it was never created
   * @param started whether the guest's code had begun to run (before that, failures are failures to start)
   */
  static Outcome of(Throwable thrown, LimitedMemory memory, boolean started) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof WasiExitException exit) {
        return exited(exit.exitCode());
      }
      if (t instanceof ExecutionCompletedException) {
        return exited(0);
      }
      if (t instanceof ModuleCache.LoadTimeoutException) {
        return new Outcome(Termination.TIMEOUT, -1, "the wall-time limit ran out while the module was being loaded: "
            + t.getMessage());
      }
      if (t instanceof LimitedMemory.MemoryLimitException) {
        return new Outcome(Termination.MEMORY_LIMIT, -1, t.getMessage());
      }
      if (t instanceof io.isolate.GuestFailureException g) {
        String prefix = g.termination() + ": ";
        String m = messageOf(g);
        return new Outcome(g.termination(), -1, m.startsWith(prefix) ? m.substring(prefix.length()) : m);
      }
      if (t instanceof HostFunctions.HostFunctionFailure) {
        return trap(t.getMessage(), memory);
      }
      if (t instanceof ChicoryInterruptedException) {
        return new Outcome(Termination.KILLED, -1, "the guest's thread was interrupted");
      }
      if (t instanceof OutOfMemoryError) {
        return new Outcome(Termination.MEMORY_LIMIT, -1,
            "the JVM ran out of heap while the guest ran: " + t.getMessage());
      }
      if (t instanceof StackOverflowError) {
        return trap("call stack exhausted", memory);
      }
    }
    String message = messageOf(thrown);
    if (!started) {
      return new Outcome(Termination.FAILED_TO_START, -1, "instantiation failed: " + message);
    }
    if (thrown instanceof ChicoryException) {
      return trap(message, memory);
    }
    return trap("internal error while running the guest: " + thrown.getClass().getSimpleName() + ": " + message,
        memory);
  }

  /** This outcome as the run supervisor takes it. */
  io.isolate.spi.RunSupervisor.Ending ending() {
    return io.isolate.spi.RunSupervisor.Ending.of(termination, exitCode, detail);
  }

  private static Outcome trap(String message, LimitedMemory memory) {
    String refused = memory == null ? null : memory.refusedGrowth();
    if (refused != null) {
      return new Outcome(Termination.MEMORY_LIMIT, -1, refused + "; then the guest trapped: " + message);
    }
    return new Outcome(Termination.TRAP, -1, message);
  }

  static String messageOf(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }

  @Override
  public String toString() {
    return termination + (termination == Termination.EXITED ? " " + exitCode : "")
        + (detail.isEmpty() ? "" : ": " + detail);
  }
}
