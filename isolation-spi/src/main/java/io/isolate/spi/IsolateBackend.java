package io.isolate.spi;

import io.isolate.Execution;

/**
 * A provider's side of one isolate. The framework guarantees that no method is called after {@link #close()}
 * has begun, except {@link #close()} itself, which it calls once.
 */
public interface IsolateBackend {
  /** Starts the workload. May be called again after the previous execution ended, for a fresh run. */
  Execution start();

  /**
   * Runs the workload to its end on the calling thread when the provider can (saving a thread hand-off);
   * by default {@code start().await()}.
   */
  default io.isolate.ExitResult run() {
    return start().await();
  }

  /**
   * Whether {@link #close()} itself waits until every call in progress has left the backend, so that the framework
   * need not count calls in and out (which costs a call into a live PROCESS isolate a third of its time). A call
   * that races close may then reach the backend after close and must fail there. Default false.
   */
  default boolean closeAwaitsCalls() {
    return false;
  }

  /** Numeric call; see {@link io.isolate.Isolate#call(String, long...)}. */
  default long[] call(String function, long... args) {
    throw new io.isolate.CallException("this level has no numeric calls; use run() or call(String, byte[])");
  }

  /** The callable names; see {@link io.isolate.Isolate#functions()}. None by default (a level without calls). */
  default java.util.Set<String> functions() {
    return java.util.Set.of();
  }

  /** Bytes call; see {@link io.isolate.Isolate#call(String, byte[])}. */
  default byte[] call(String function, byte[] input) {
    throw new io.isolate.CallException("this level has no byte calls; use run() or call(String, long...)");
  }

  /** Runs a command inside the running workload's isolate; see {@link io.isolate.Isolate#exec(String...)}. */
  default io.isolate.ExitResult exec(java.util.List<String> argv) {
    throw new UnsupportedOperationException("exec is available at level OS only");
  }

  /** See {@link io.isolate.Isolate#copyToIsolate(java.nio.file.Path, String)}. */
  default void copyIn(java.nio.file.Path hostFile, String guestPath) throws java.io.IOException {
    throw new UnsupportedOperationException("copying files into a running isolate is available at level OS only");
  }

  /** See {@link io.isolate.Isolate#copyFromIsolate(String, java.nio.file.Path)}. */
  default void copyOut(String guestPath, java.nio.file.Path hostFile) throws java.io.IOException {
    throw new UnsupportedOperationException("copying files out of a running isolate is available at level OS only");
  }

  /**
   * The ports this isolate publishes when they are more than its spec's (an image's ExposedPorts at the OS level);
   * null for the spec's.
   */
  default java.util.List<io.isolate.PublishedPort> publishedPorts() {
    return null;
  }

  /**
   * The host port chosen at start for the published {@code guestPort} (only asked for ports published with host
   * port 0); see {@link io.isolate.Isolate#mappedPort(int)}.
   */
  default int mappedPort(int guestPort) {
    throw new IllegalStateException("this level publishes no ports");
  }

  /** Kills whatever runs and releases every host resource. Must not throw. */
  void close();
}
