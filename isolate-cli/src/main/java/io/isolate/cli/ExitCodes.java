package io.isolate.cli;

import io.isolate.ExitResult;
import io.isolate.Termination;

/**
 * The command's exit status, following timeout(1) and docker run: the workload's own code when it exited,
 * 124 for a timeout, 137 when a limit or a kill ended it, 134 for a trap or fault, 125 when it could not start.
 */
final class ExitCodes {
  static final int TIMEOUT = 124;
  static final int COULD_NOT_START = 125;
  static final int TRAPPED = 134;
  static final int KILLED = 137;

  private ExitCodes() {}

  static int of(ExitResult result) {
    return of(result.termination(), result.exitCode());
  }

  static int of(Termination termination, int exitCode) {
    return switch (termination) {
      case EXITED -> exitCode;
      case TIMEOUT -> TIMEOUT;
      case MEMORY_LIMIT, CPU_LIMIT, PIDS_LIMIT, OUTPUT_LIMIT, KILLED -> KILLED;
      case TRAP, FAULT -> TRAPPED;
      case FAILED_TO_START -> COULD_NOT_START;
    };
  }
}
