package io.isolate.pv.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private final AtomicLong now = new AtomicLong(1_000);

  @Test
  void letsABurstThroughThenThrottlesUntilTheDebtIsRepaid() {
    RateLimiter limiter = new RateLimiter(1_000, 500, now::get);
    assertFalse(limiter.isThrottled());
    limiter.consume(700); // whole request through, 200 bytes of debt
    assertTrue(limiter.isThrottled());
    assertEquals(201_000_000, limiter.nanosUntilAvailable());
    now.addAndGet(200_000_000);
    assertTrue(limiter.isThrottled(), "debt repaid exactly: zero tokens still throttles");
    now.addAndGet(1_000_000);
    assertFalse(limiter.isThrottled());
    assertEquals(0, limiter.nanosUntilAvailable());
  }

  @Test
  void keepsFractionsOfABytePaidOverManySmallSteps() {
    RateLimiter limiter = new RateLimiter(1_000, 1_000, now::get);
    limiter.consume(1_000);
    for (int i = 0; i < 1_000; i++) {
      now.addAndGet(500_000); // half a byte each
      limiter.isThrottled();
    }
    assertFalse(limiter.isThrottled(), "500 bytes earned in 0.5 s of half-byte steps");
    limiter.consume(500);
    assertTrue(limiter.isThrottled());
  }

  @Test
  void neverOverfillsTheBucketAfterALongPause() {
    RateLimiter limiter = new RateLimiter(Long.MAX_VALUE / 2, 100, now::get);
    now.addAndGet(Long.MAX_VALUE / 4);
    limiter.consume(100);
    assertTrue(limiter.isThrottled());
  }

  @Test
  void refusesNonPositiveSettings() {
    assertThrows(IllegalArgumentException.class, () -> new RateLimiter(0, 1, now::get));
    assertThrows(IllegalArgumentException.class, () -> new RateLimiter(1, 0, now::get));
  }
}
