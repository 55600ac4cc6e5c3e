package io.isolate.spi;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The executors providers keep for the JVM's lifetime, made one way: daemon threads (an isolate never keeps the
 * JVM alive), named for thread dumps, that end when idle, so that once the last isolate is closed no thread of these
 * executors remains after {@link #IDLE_SECONDS} seconds.
 */
public final class DaemonThreads {
  /** How long an idle thread waits for work before it ends. */
  public static final long IDLE_SECONDS = 10;

  private DaemonThreads() {}

  /**
   * Threads made on demand, as many as tasks run at once (a vCPU, a pump of a pipe), each ending when idle.
   *
   * @param name the name of every thread
   * @return the executor
   */
  public static ExecutorService cached(String name) {
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_SECONDS, TimeUnit.SECONDS, new SynchronousQueue<>(),
        r -> daemon(r, name));
  }

  /**
   * One thread that runs tasks in order, ending when idle.
   *
   * @param name the thread's name
   * @return the executor
   */
  public static ExecutorService single(String name) {
    ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> daemon(r, name));
    e.allowCoreThreadTimeOut(true);
    return e;
  }

  /**
   * One thread for deadlines and periodic checks, ending when nothing is scheduled. A cancelled task leaves the
   * queue at once (a run's deadline is cancelled when the run ends, and must not keep the run reachable until it
   * would have passed).
   *
   * @param name the thread's name
   * @return the executor
   */
  public static ScheduledThreadPoolExecutor scheduler(String name) {
    ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> daemon(r, name));
    e.setRemoveOnCancelPolicy(true);
    e.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
    e.allowCoreThreadTimeOut(true);
    return e;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
