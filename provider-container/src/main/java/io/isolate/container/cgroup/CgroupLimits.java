package io.isolate.container.cgroup;

/**
 * The limits one isolate's cgroup enforces.
 *
 * @param memoryBytes memory including page cache and tmpfs; swap is not allowed on top of it
 * @param cpus CPU quota in CPUs (0.5 = half of one CPU's time per period)
 * @param pids processes and threads at once
 */
public record CgroupLimits(long memoryBytes, double cpus, int pids) {
  /** The CFS period, 100 ms, as runc and systemd use. */
  public static final long PERIOD_US = 100_000;

  /** The quota per {@link #PERIOD_US}, at least 1 ms (the kernel's minimum). */
  public long quotaMicros() {
    return Math.max(1000, Math.round(cpus * PERIOD_US));
  }
}
