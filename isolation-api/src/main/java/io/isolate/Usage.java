package io.isolate;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/** Resources a run used: wall time always, CPU time and peak memory where the level can measure them. */
public final class Usage {
  private final Duration wallTime;
  private final Duration cpuTime;
  private final long peakMemoryBytes;

  private Usage(Duration wallTime, Duration cpuTime, long peakMemoryBytes) {
    this.wallTime = Objects.requireNonNull(wallTime, "wallTime");
    this.cpuTime = cpuTime;
    this.peakMemoryBytes = peakMemoryBytes;
  }

  /**
   * Creates a usage record.
   *
   * @param cpuTime null when not measurable
   * @param peakMemoryBytes negative when not measurable
   */
  public static Usage of(Duration wallTime, Duration cpuTime, long peakMemoryBytes) {
    return new Usage(wallTime, cpuTime, peakMemoryBytes);
  }

  public Duration wallTime() {
    return wallTime;
  }

  public Optional<Duration> cpuTime() {
    return Optional.ofNullable(cpuTime);
  }

  public OptionalLong peakMemoryBytes() {
    return peakMemoryBytes < 0 ? OptionalLong.empty() : OptionalLong.of(peakMemoryBytes);
  }

  @Override
  public String toString() {
    return "Usage{wall=" + wallTime.toNanos() / 1e6 + " ms"
        + (cpuTime == null ? "" : ", cpu=" + cpuTime.toNanos() / 1e6 + " ms")
        + (peakMemoryBytes < 0 ? "" : ", peakMemory=" + SizeUnit.format(peakMemoryBytes)) + "}";
  }
}
