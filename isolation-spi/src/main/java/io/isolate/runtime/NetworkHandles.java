package io.isolate.runtime;

import io.isolate.internal.NetworkHandle;
import io.isolate.spi.NetworkBackend;
import java.util.Collection;

/**
 * Between a provider's {@link NetworkBackend} and the handle an {@link io.isolate.IsolateNetwork} holds: the API
 * sees only the handle's type, which is not the SPI's, so a provider's author needs no type of the API's internals.
 */
public final class NetworkHandles {
  private NetworkHandles() {}

  /** The handle an {@link io.isolate.IsolateNetwork} holds for {@code backend}. */
  static NetworkHandle of(NetworkBackend backend) {
    return new Wrapped(backend);
  }

  /** The backend a handle made here holds. */
  public static NetworkBackend backend(NetworkHandle handle) {
    if (!(handle instanceof Wrapped w)) {
      throw new IllegalStateException("not a network made by this runtime: " + handle);
    }
    return w.backend;
  }

  private record Wrapped(NetworkBackend backend) implements NetworkHandle {
    @Override
    public void addAliases(Collection<String> aliases) {
      backend.addAliases(aliases);
    }

    @Override
    public void close() {
      backend.close();
    }
  }
}
