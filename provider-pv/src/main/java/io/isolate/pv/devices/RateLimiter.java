package io.isolate.pv.devices;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A token bucket of bytes that may run into debt: a request is always let through whole (a virtio chain cannot be
 * half-consumed), and the device then stays {@linkplain #isThrottled() throttled} until the refill has paid the
 * debt back. Debt is bounded by the per-request cap of the queue. Not thread-safe: the owning device locks.
 */
public final class RateLimiter {
  private final long bytesPerSecond;
  private final long burst;
  private final LongSupplier nanoClock;
  private long tokens;
  private long lastRefill;

  /**
   * @param bytesPerSecond sustained rate
   * @param burst bucket size: how many bytes may pass at once after a quiet period
   * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime}; a fake in tests)
   */
  public RateLimiter(long bytesPerSecond, long burst, LongSupplier nanoClock) {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("bytesPerSecond (" + bytesPerSecond + ") must be positive");
    }
    if (burst <= 0) {
      throw new IllegalArgumentException("burst (" + burst + ") must be positive");
    }
    this.bytesPerSecond = bytesPerSecond;
    this.burst = burst;
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.tokens = burst;
    this.lastRefill = nanoClock.getAsLong();
  }

  private void refill() {
    long now = nanoClock.getAsLong();
    long elapsed = now - lastRefill;
    if (elapsed <= 0) {
      return;
    }
    if (Math.multiplyHigh(elapsed, bytesPerSecond) != 0 || elapsed * bytesPerSecond < 0) {
      tokens = burst; // so long ago that any bucket is full
      lastRefill = now;
      return;
    }
    long earned = elapsed * bytesPerSecond / 1_000_000_000L;
    if (earned == 0) {
      return; // keep lastRefill: the fraction of a byte earned so far is not lost
    }
    if (earned >= burst - tokens) {
      tokens = burst;
      lastRefill = now;
    } else {
      tokens += earned;
      lastRefill += earned * 1_000_000_000L / bytesPerSecond;
    }
  }

  /** Takes {@code bytes} from the bucket, going into debt if needed. */
  public void consume(long bytes) {
    refill();
    tokens -= bytes;
  }

  /** True while the bucket is empty or in debt. */
  public boolean isThrottled() {
    refill();
    return tokens <= 0;
  }

  /** Nanoseconds until the bucket holds at least one byte again; 0 when it does now. */
  public long nanosUntilAvailable() {
    refill();
    if (tokens > 0) {
      return 0;
    }
    long needed = 1 - tokens;
    return Math.max(1, (needed * 1_000_000_000L + bytesPerSecond - 1) / bytesPerSecond
        - (nanoClock.getAsLong() - lastRefill));
  }
}
