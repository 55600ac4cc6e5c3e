package io.isolate.spi;

import io.isolate.IsolateNetwork;
import io.isolate.internal.NetworkAccess;
import io.isolate.runtime.NetworkHandles;

/**
 * A provider's side of an {@link io.isolate.IsolateNetwork}: what holds the network while it lives. The framework
 * calls {@link #close()} once.
 */
public interface NetworkBackend {
  /**
   * Called with a member's {@code aliases} before its provider creates it. A provider makes them resolve, in every
   * member, to the member that has them: here, or (when it gives members addresses of their own) as it creates the
   * member.
   */
  void addAliases(java.util.Collection<String> aliases);

  /** Releases the network; members still running keep it until they end. Must not throw. */
  void close();

  /**
   * The backend of {@code network}, as its provider made it.
   *
   * @throws IllegalStateException when the network is closed
   */
  static NetworkBackend of(IsolateNetwork network) {
    return NetworkHandles.backend(NetworkAccess.get().handle(network));
  }
}
