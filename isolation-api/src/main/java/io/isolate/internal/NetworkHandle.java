package io.isolate.internal;

import java.util.Collection;

/**
 * What an {@link io.isolate.IsolateNetwork} holds of its provider's network: the runtime's wrapper of the provider's
 * {@code io.isolate.spi.NetworkBackend}.
 */
public interface NetworkHandle {
  /**
   * Called with a member's {@code aliases} before its provider creates it. A provider makes them resolve, in every
   * member, to the member that has them: here, or (when it gives members addresses of their own) as it creates the
   * member.
   */
  void addAliases(Collection<String> aliases);

  /** Releases the network; members still running keep it until they end. Must not throw. */
  void close();
}
