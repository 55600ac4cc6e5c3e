package io.isolate.container.helper;

import io.isolate.spi.DaemonThreads;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Starts helper processes from one long-lived daemon thread. The helper asks the kernel to kill it when its
 * parent dies (PR_SET_PDEATHSIG), and on Linux the "parent" is the thread that forked it: starting from a
 * short-lived application thread would kill the isolate when that thread ends.
 */
public final class HelperLauncher {
  private static final ExecutorService LAUNCHER = DaemonThreads.single("isolate-helper-launcher");

  private HelperLauncher() {}

  /**
   * Starts the helper on the calling thread, for a caller that stays blocked until the helper has exited (a blocking
   * run): that thread, the one PR_SET_PDEATHSIG watches, then outlives the helper, and two hand-offs between threads
   * are spared. A virtual thread is no such caller (its carrier thread forks, and may end before the helper): it goes
   * through the launcher thread like {@link #start}.
   */
  public static Process startFromBlockedCaller(ProcessBuilder builder) throws IOException {
    if (Thread.currentThread().getClass().getName().equals("java.lang.VirtualThread")) {
      return start(builder);
    }
    return builder.start();
  }

  public static Process start(ProcessBuilder builder) throws IOException {
    Future<Process> f = LAUNCHER.submit(builder::start);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          Process p = f.get();
          if (interrupted) {
            // the caller gave up while the helper was starting: do not leave it running
            p.destroyForcibly();
            throw new IOException("interrupted while starting the helper");
          }
          return p;
        } catch (InterruptedException e) {
          interrupted = true; // wait for the launch to finish so that no process escapes
        } catch (ExecutionException e) {
          if (e.getCause() instanceof IOException io) {
            throw io;
          }
          throw new IOException("cannot start " + builder.command().get(0) + ": " + e.getCause(), e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
