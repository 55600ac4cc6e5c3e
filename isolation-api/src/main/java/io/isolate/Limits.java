package io.isolate;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Hard limits of an isolate. Every limit the API accepts is enforced by every level that accepts it; a level
 * that cannot enforce a limit on this host refuses to build unless the caller explicitly accepts unenforced
 * limits with {@link Isolate.Builder#acceptUnenforcedLimits(boolean)}.
 *
 * <pre>{@code
 * Limits limits = Limits.builder()
 *     .memory(64, SizeUnit.MEGABYTES).cpus(0.5).pids(32).wallTime(Duration.ofSeconds(5))
 *     .build();
 * }</pre>
 *
 * <p>The defaults are deliberately tight: 64 MiB of memory, one CPU, 64 processes, 30 seconds of wall time and
 * 16 MiB of output; CPU time is limited only when asked ({@link Builder#cpuTime}).
 */
public final class Limits {
  /** The default limits; see the class documentation. */
  public static final Limits DEFAULT = new Builder().build();

  private final long memoryBytes;
  private final double cpus;
  private final int pids;
  private final Duration wallTime;
  private final Duration cpuTime;
  private final long outputBytes;

  private Limits(Builder b) {
    this.memoryBytes = b.memoryBytes;
    this.cpus = b.cpus;
    this.pids = b.pids;
    this.wallTime = b.wallTime;
    this.cpuTime = b.cpuTime;
    this.outputBytes = b.outputBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.memoryBytes = memoryBytes;
    b.cpus = cpus;
    b.pids = pids;
    b.wallTime = wallTime;
    b.cpuTime = cpuTime;
    b.outputBytes = outputBytes;
    return b;
  }

  /** Memory the workload may use, in bytes: linear memory, guest RAM or the cgroup's memory (no swap). */
  public long memoryBytes() {
    return memoryBytes;
  }

  /** CPUs the workload may use, as a quota: 0.5 is half of one CPU's time. */
  public double cpus() {
    return cpus;
  }

  /** Processes and threads the workload may have at once (OS level). */
  public int pids() {
    return pids;
  }

  /** How long one run, or one call into a live isolate, may take. */
  public Duration wallTime() {
    return wallTime;
  }

  /**
   * How much CPU time one run, or one call into a live isolate, may use, when limited: the time the workload's
   * threads or processes spend on a CPU (guest code, and the host's work on its behalf: its system calls at the
   * HARDWARE level, its exits at PARAVIRT, its processes' user and system time at OS). Exceeding it ends the run or
   * the call with {@link Termination#CPU_LIMIT}. Unlike {@link #wallTime()}, time spent waiting does not count.
   */
  public Optional<Duration> cpuTime() {
    return Optional.ofNullable(cpuTime);
  }

  /** How many bytes the workload may write to stdout and stderr together. */
  public long outputBytes() {
    return outputBytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Limits l && l.memoryBytes == memoryBytes && l.cpus == cpus && l.pids == pids
        && l.wallTime.equals(wallTime) && Objects.equals(l.cpuTime, cpuTime) && l.outputBytes == outputBytes;
  }

  @Override
  public int hashCode() {
    return Objects.hash(memoryBytes, cpus, pids, wallTime, cpuTime, outputBytes);
  }

  @Override
  public String toString() {
    return "Limits{memory=" + SizeUnit.format(memoryBytes) + ", cpus=" + cpus + ", pids=" + pids
        + ", wallTime=" + wallTime + (cpuTime == null ? "" : ", cpuTime=" + cpuTime) + ", output="
        + SizeUnit.format(outputBytes) + "}";
  }

  /** Builds {@link Limits}; each setter checks its argument at once. */
  public static final class Builder {
    private long memoryBytes = SizeUnit.MEGABYTES.toBytes(64);
    private double cpus = 1.0;
    private int pids = 64;
    private Duration wallTime = Duration.ofSeconds(30);
    private Duration cpuTime;
    private long outputBytes = SizeUnit.MEGABYTES.toBytes(16);

    private Builder() {}

    /** Memory limit; default 64 MiB; at least 1 MiB. */
    public Builder memory(long amount, SizeUnit unit) {
      Objects.requireNonNull(unit, "unit");
      if (amount <= 0) {
        throw new InvalidSpecException("memory (" + amount + " " + unit + ") must be positive");
      }
      return memoryBytes(unit.toBytes(amount));
    }

    /** Memory limit in bytes; default 64 MiB; at least 1 MiB. */
    public Builder memoryBytes(long bytes) {
      if (bytes < SizeUnit.MEGABYTES.toBytes(1)) {
        throw new InvalidSpecException(
            "memory (" + bytes + " bytes) must be at least 1 MiB");
      }
      this.memoryBytes = bytes;
      return this;
    }

    /** CPU quota; default 1.0; more than 0 and at most 1024. */
    public Builder cpus(double cpus) {
      if (!(cpus > 0) || cpus > 1024 || Double.isNaN(cpus)) {
        throw new InvalidSpecException("cpus (" + cpus + ") must be more than 0 and at most 1024");
      }
      this.cpus = cpus;
      return this;
    }

    /** Process and thread limit; default 64; at least 1. */
    public Builder pids(int pids) {
      if (pids < 1) {
        throw new InvalidSpecException("pids (" + pids + ") must be at least 1");
      }
      this.pids = pids;
      return this;
    }

    /** The longest wall-time or CPU-time limit: far beyond any run, and short enough for nanosecond arithmetic. */
    static final Duration MAX_DURATION = Duration.ofDays(10_000);

    /** Wall-time limit of one run or one call; default 30 s; positive, at most 10,000 days. */
    public Builder wallTime(Duration wallTime) {
      this.wallTime = positive("wallTime", wallTime);
      return this;
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new InvalidSpecException(name + " (" + d + ") must be positive");
      }
      if (d.compareTo(MAX_DURATION) > 0) {
        throw new InvalidSpecException(name + " (" + d + ") must be at most " + MAX_DURATION.toDays() + " days");
      }
      return d;
    }

    /** Output limit for stdout and stderr together; default 16 MiB; positive. */
    public Builder output(long amount, SizeUnit unit) {
      Objects.requireNonNull(unit, "unit");
      if (amount <= 0) {
        throw new InvalidSpecException("output (" + amount + " " + unit + ") must be positive");
      }
      return outputBytes(unit.toBytes(amount));
    }

    /** CPU-time limit per run or call; default none; positive, at most 10,000 days. See {@link Limits#cpuTime()}. */
    public Builder cpuTime(Duration cpuTime) {
      this.cpuTime = positive("cpuTime", cpuTime);
      return this;
    }

    /** Output limit in bytes; default 16 MiB; positive. */
    public Builder outputBytes(long bytes) {
      if (bytes <= 0) {
        throw new InvalidSpecException("output (" + bytes + " bytes) must be positive");
      }
      this.outputBytes = bytes;
      return this;
    }

    public Limits build() {
      return new Limits(this);
    }
  }
}
