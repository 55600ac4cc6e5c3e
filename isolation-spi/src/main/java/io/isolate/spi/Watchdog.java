package io.isolate.spi;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * One daemon thread that enforces every wall-time deadline (and CPU-time budget) of this JVM's isolates, at every
 * level ({@link RunSupervisor} registers each run). A deadline costs a set insertion and two volatile writes instead
 * of a timer task, which keeps calls into a live isolate cheap. The thread checks
 * every {@value #PERIOD_MILLIS} ms while some deadline is armed, and for a second after the last one went, and
 * then sleeps until the next registration (a busy JVM does not pay a thread wake-up per run), and ends after
 * {@link DaemonThreads#IDLE_SECONDS} seconds with nothing to guard (the next registration starts it again).
 */
public final class Watchdog {
  /** How often the thread checks deadlines and budgets while some are armed. */
  public static final long PERIOD_MILLIS = 5;

  /** Something with a deadline. */
  public interface Guarded {
    /** The deadline in {@link System#nanoTime()} terms, or {@link Long#MAX_VALUE} when nothing is armed. */
    long deadlineNanos();

    /** Called on the watchdog thread once the deadline has passed; must be quick and must not throw. */
    void expire(long nowNanos);

    /** Called on the watchdog thread at every check (every few ms), for budgets that are not deadlines. */
    default void tick() {}
  }

  private static final Watchdog INSTANCE = new Watchdog();

  private static final long IDLE_NANOS = 1_000_000_000L;

  /** How long the thread waits with nothing to guard before it ends (a later registration starts another). */
  private static final long EXIT_NANOS = DaemonThreads.IDLE_SECONDS * 1_000_000_000L;

  private final Set<Guarded> guarded = ConcurrentHashMap.newKeySet();
  // guarded by this: the running thread, null when none runs
  private Thread thread;
  private volatile boolean sleeping;

  private Watchdog() {}

  /** The JVM's one watchdog. */
  public static Watchdog get() {
    return INSTANCE;
  }

  /** Guards {@code g} until {@link #unregister(Guarded)}. */
  public void register(Guarded g) {
    guarded.add(g);
    Thread t;
    synchronized (this) {
      t = thread;
      if (t == null) {
        t = new Thread(this::loop, "isolate-watchdog");
        t.setDaemon(true);
        thread = t;
        t.start();
        return;
      }
    }
    if (sleeping) {
      LockSupport.unpark(t);
    }
  }

  public void unregister(Guarded g) {
    guarded.remove(g);
  }

  /**
   * Registers {@code g} for as long as something else keeps it alive: for long-lived registrations (a live
   * instance waiting for calls), so that an isolate the application forgot to close can still be collected.
   *
   * @return what to pass to {@link #unregister(Guarded)}
   */
  public Guarded registerWeakly(Guarded g) {
    Guarded weak = new Weak(g, this);
    register(weak);
    return weak;
  }

  private static final class Weak implements Guarded {
    private final java.lang.ref.WeakReference<Guarded> ref;
    private final Watchdog owner;

    Weak(Guarded g, Watchdog owner) {
      this.ref = new java.lang.ref.WeakReference<>(g);
      this.owner = owner;
    }

    @Override
    public long deadlineNanos() {
      Guarded g = ref.get();
      if (g == null) {
        owner.unregister(this);
        return Long.MAX_VALUE;
      }
      return g.deadlineNanos();
    }

    @Override
    public void expire(long nowNanos) {
      Guarded g = ref.get();
      if (g != null) {
        g.expire(nowNanos);
      }
    }

    @Override
    public void tick() {
      Guarded g = ref.get();
      if (g != null) {
        g.tick();
      }
    }
  }

  private void loop() {
    long lastBusy = System.nanoTime();
    while (true) {
      if (guarded.isEmpty() && System.nanoTime() - lastBusy > IDLE_NANOS) {
        sleeping = true;
        // Re-check after publishing the flag: a registration either sees it and unparks, or is seen here.
        if (guarded.isEmpty()) {
          LockSupport.parkNanos(this, EXIT_NANOS);
        }
        sleeping = false;
        synchronized (this) {
          // nothing to guard for the whole wait: end; a registration after this starts another thread
          if (guarded.isEmpty() && System.nanoTime() - lastBusy > EXIT_NANOS) {
            thread = null;
            return;
          }
        }
      } else {
        LockSupport.parkNanos(this, PERIOD_MILLIS * 1_000_000);
      }
      long now = System.nanoTime();
      if (!guarded.isEmpty()) {
        lastBusy = now;
      }
      for (Guarded g : guarded) {
        try {
          if (now - g.deadlineNanos() >= 0 && g.deadlineNanos() != Long.MAX_VALUE) {
            g.expire(now);
          }
          g.tick();
        } catch (RuntimeException e) {
          // never let one isolate stop the enforcement of the others
        }
      }
    }
  }
}
