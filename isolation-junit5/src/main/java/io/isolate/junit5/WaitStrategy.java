package io.isolate.junit5;

import java.time.Duration;

/**
 * Decides when a started fixture is ready for the tests. Make them with {@link Wait}.
 */
public interface WaitStrategy {
  /**
   * Blocks until {@code fixture} is ready.
   *
   * @throws FixtureException when it is not ready within the strategy's timeout, or its workload ended first
   */
  void waitUntilReady(IsolateFixture fixture);

  /** The same strategy with another timeout. */
  WaitStrategy withTimeout(Duration timeout);
}
