package io.isolate.container;

/** Linux x86-64 signal numbers, for exit details. */
final class Signals {
  private static final String[] NAMES = {"0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
      "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD",
      "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
      "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};

  private Signals() {}

  static String name(int sig) {
    return sig > 0 && sig < NAMES.length ? NAMES[sig] : "SIGRT" + sig;
  }

  /** Signals the kernel sends for a crash of the program itself. */
  static boolean isFault(int sig) {
    return sig == 4 || sig == 5 || sig == 6 || sig == 7 || sig == 8 || sig == 11 || sig == 31;
  }
}
