package io.isolate.internal;

import io.isolate.IsolateNetwork;
import java.util.Objects;
import java.util.Set;

/**
 * The runtime's way into an {@link IsolateNetwork}, which shows applications nothing of its provider's side: the
 * network's class gives this its accessor when it is initialized (before any network exists), as the JDK's shared
 * secrets do between its packages.
 */
public final class NetworkAccess {
  /** What {@link IsolateNetwork} lets the runtime do with it. */
  public interface Accessor {
    /** The network's handle; refused once the network is closed. */
    NetworkHandle handle(IsolateNetwork network);

    /** Records a member's aliases and makes them resolve. */
    void join(IsolateNetwork network, Set<String> aliases);
  }

  private static volatile Accessor accessor;

  private NetworkAccess() {}

  /** Called once, by {@link IsolateNetwork}'s initializer. */
  public static void set(Accessor a) {
    synchronized (NetworkAccess.class) {
      if (accessor != null) {
        throw new IllegalStateException("the network accessor is set once");
      }
      accessor = Objects.requireNonNull(a);
    }
  }

  /** The accessor; a network given here exists, so its class has set it. */
  public static Accessor get() {
    Accessor a = accessor;
    if (a == null) {
      throw new IllegalStateException("no network exists yet");
    }
    return a;
  }
}
