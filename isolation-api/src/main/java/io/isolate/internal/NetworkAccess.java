package io.isolate.internal;

import io.isolate.IsolateNetwork;
import java.util.Objects;
import java.util.Set;

/**
 * The runtime's way into an {@link IsolateNetwork}, which shows applications nothing of its provider's side: the
 * network's class gives this its accessor when it is initialized (before any network exists), as the JDK's shared
 * secrets do between its packages. Only that class may set it.
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

  /** Called once, by {@link IsolateNetwork}'s initializer, and by nothing else (on the class path anyone could). */
  public static void set(Accessor a) {
    if (StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass() != IsolateNetwork.class) {
      throw new IllegalCallerException("the network accessor is set by IsolateNetwork alone");
    }
    synchronized (NetworkAccess.class) {
      if (accessor != null) {
        throw new IllegalStateException("the network accessor is set once");
      }
      accessor = Objects.requireNonNull(a);
    }
  }

  /** The accessor, {@link IsolateNetwork} initialized first if it is not yet (its initializer sets it). */
  public static Accessor get() {
    Accessor a = accessor;
    if (a == null) {
      try {
        Class.forName(IsolateNetwork.class.getName(), true, IsolateNetwork.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
      a = accessor;
    }
    return a;
  }
}
