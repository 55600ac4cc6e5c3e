package io.isolate;

/** Why a run or a call ended. */
public enum Termination {
  /** The workload exited by itself; {@link ExitResult#exitCode()} holds its code. */
  EXITED,
  /** The wall-time limit ran out and the workload was stopped. */
  TIMEOUT,
  /** The workload needed more memory than its limit allows. */
  MEMORY_LIMIT,
  /**
   * The workload used more CPU time than {@link Limits#cpuTime()} allows. ({@link Limits#cpus()} is a quota that
   * slows a workload rather than ending it.)
   */
  CPU_LIMIT,
  /** The workload tried to create more processes or threads than its limit allows. */
  PIDS_LIMIT,
  /** The workload wrote more output than its limit allows. */
  OUTPUT_LIMIT,
  /** The workload was killed from outside: by {@link Execution#kill()}, {@link Isolate#close()} or a signal. */
  KILLED,
  /** The guest trapped (a WebAssembly trap, an unreachable instruction); the detail holds the guest's message. */
  TRAP,
  /**
   * The guest faulted (a page fault, an illegal instruction, a crash signal), or the machinery around it failed
   * after it started (the HARDWARE level's VMM); the detail says where.
   */
  FAULT,
  /** The workload could not be started; the detail holds the reason. */
  FAILED_TO_START;

  /** True for the terminations caused by a limit of {@link Limits}. */
  public boolean isLimit() {
    return this == TIMEOUT || this == MEMORY_LIMIT || this == CPU_LIMIT || this == PIDS_LIMIT
        || this == OUTPUT_LIMIT;
  }
}
