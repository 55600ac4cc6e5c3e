package io.isolate.spi;

/**
 * A provider's side of an {@link io.isolate.IsolateNetwork}: what holds the network while it lives. The framework
 * calls {@link #close()} once.
 */
public interface NetworkBackend {
  /** Makes {@code aliases} resolve, in every member, to the member that has them. */
  void addAliases(java.util.Collection<String> aliases);

  /** Releases the network; members still running keep it until they end. Must not throw. */
  void close();
}
