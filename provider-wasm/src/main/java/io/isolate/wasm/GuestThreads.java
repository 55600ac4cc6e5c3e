package io.isolate.wasm;

import io.isolate.spi.DaemonThreads;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The threads guests run on: one per running guest, reused once it ends (starting a platform thread costs more
 * than a warm hello-world run). Daemon threads, so a runaway guest never keeps the JVM alive, with a larger
 * stack than the default because deeply recursive guests recurse on the Java stack too.
 */
final class GuestThreads {
  static final long STACK_BYTES = 4L << 20;
  private static final AtomicLong COUNTER = new AtomicLong();
  private static final ExecutorService EXECUTOR = new ThreadPoolExecutor(0, Integer.MAX_VALUE,
      DaemonThreads.IDLE_SECONDS, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(null, r, "isolate-wasm-guest-" + COUNTER.incrementAndGet(), STACK_BYTES);
        t.setDaemon(true);
        return t;
      });

  private GuestThreads() {}

  static void execute(Runnable task) {
    EXECUTOR.execute(task);
  }
}
