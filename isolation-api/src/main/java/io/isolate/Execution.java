package io.isolate;

import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A workload started with {@link Isolate#start()}: running until it exits, hits a limit or is killed.
 *
 * <pre>{@code
 * Execution e = isolate.start();
 * e.stdin().write(request); e.stdin().close();
 * ExitResult r = e.await();
 * }</pre>
 */
public interface Execution {
  /**
   * The workload's stdin when the isolate was built with {@link Input#pipe()}.
   *
   * @throws IllegalStateException when stdin is not a pipe
   */
  OutputStream stdin();

  /** Completes with the result when the workload ends, however it ends. Never completes exceptionally. */
  CompletableFuture<ExitResult> onExit();

  /** Waits for the end; the wall-time limit guarantees that it comes. */
  default ExitResult await() {
    return onExit().join();
  }

  /**
   * Waits at most {@code timeout} for the end.
   *
   * @throws GuestFailureException with {@link Termination#TIMEOUT} when the workload is still running then (it is
   *     not killed)
   */
  default ExitResult await(Duration timeout) {
    try {
      return onExit().get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new GuestFailureException(Termination.TIMEOUT, "still running after " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IsolateException("interrupted while waiting for the workload", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IsolateException("workload failed: " + e.getCause(), e.getCause());
    }
  }

  /** True until the workload has ended. */
  boolean isAlive();

  /** Stops the workload now; it ends with {@link Termination#KILLED}. Idempotent. */
  void kill();

  /**
   * Asks the workload to end, as {@code docker stop} does, and kills it if it has not ended after {@code grace}. At
   * the OS level the workload gets SIGTERM (or its image's StopSignal) and ends as it chooses: its result is its own
   * exit or the signal's; at the other levels, which have no such request, it is killed at once. Returns at once.
   */
  default void stop(Duration grace) {
    kill();
  }
}
