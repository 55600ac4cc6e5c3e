package io.isolate.spi;

import io.isolate.IsolateNetwork;
import io.isolate.internal.NetworkAccess;
import io.isolate.internal.NetworkHandle;

/**
 * A provider's side of an {@link io.isolate.IsolateNetwork}: what holds the network while it lives. The framework
 * calls {@link #close()} once.
 */
public interface NetworkBackend extends NetworkHandle {
  /**
   * The backend of {@code network}, as its provider made it.
   *
   * @throws IllegalStateException when the network is closed
   */
  static NetworkBackend of(IsolateNetwork network) {
    return (NetworkBackend) NetworkAccess.get().handle(network);
  }
}
