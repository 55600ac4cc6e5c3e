package io.isolate;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.isolate.internal.NetworkAccess;
import org.junit.jupiter.api.Test;

/**
 * The runtime's way into a network is set by {@link IsolateNetwork} alone: other code on the class path (where the
 * internal package is not closed) cannot set it first, which would break every network and see every handle.
 */
class NetworkAccessTest {
  @Test
  void onlyIsolateNetworkSetsTheAccessorAndItIsThereWhenAskedFor() {
    NetworkAccess.Accessor intruder = new NetworkAccess.Accessor() {
      @Override
      public io.isolate.internal.NetworkHandle handle(IsolateNetwork network) {
        return null;
      }

      @Override
      public void join(IsolateNetwork network, java.util.Set<String> aliases) {
      }
    };
    assertThrows(IllegalCallerException.class, () -> NetworkAccess.set(intruder));
    // asked for before any network exists, it initializes IsolateNetwork, whose initializer sets it
    assertNotNull(NetworkAccess.get());
    assertThrows(IllegalCallerException.class, () -> NetworkAccess.set(intruder));
  }
}
