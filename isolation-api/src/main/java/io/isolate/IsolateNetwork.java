package io.isolate;

import io.isolate.internal.NetworkAccess;
import io.isolate.internal.NetworkHandle;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * A network that several OS-level isolates share, as a Docker bridge network for Testcontainers' {@code withNetwork}:
 * each member has a network namespace of its own, with its own loopback and an {@code eth0} on the network's bridge
 * with an IPv4 address of its own (10.89.0.2, .3, ... of 10.89.0.0/24, given in the order members are created and
 * given back when they are closed), so that two members may listen on the same port. Members reach each other and
 * nothing else: the bridge has no link to the host nor to other networks (which is why every network may use the same
 * subnet), and the host reaches a member only through its published ports. Members join with
 * {@link Isolate.Builder#network(IsolateNetwork, String...)} and reach each other by their aliases: a member's
 * {@code /etc/hosts} maps its hostname and every member's aliases to their addresses (an alias two members give
 * resolves to the earlier one), and is rewritten in place as members come and go. When the JVM is not root, the
 * network lives in a user namespace of its own.
 *
 * <p>A server in a member must listen on all addresses (0.0.0.0), or on the member's own, to be reached by other
 * members; one listening on 127.0.0.1 only is reached by the member itself and through its published ports.
 */
public final class IsolateNetwork implements AutoCloseable {
  private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
      + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  static {
    NetworkAccess.set(new NetworkAccess.Accessor() {
      @Override
      public NetworkHandle handle(IsolateNetwork network) {
        return network.handle();
      }

      @Override
      public void join(IsolateNetwork network, Set<String> aliases) {
        network.join(aliases);
      }
    });
  }

  private final NetworkHandle backend;
  private final Set<String> aliases = Collections.synchronizedSet(new LinkedHashSet<>());
  private final AtomicBoolean closed = new AtomicBoolean();

  private IsolateNetwork(NetworkHandle backend) {
    this.backend = backend;
  }

  /**
   * Creates a network (OS level).
   *
   * @throws LevelUnavailableException when the OS level is not available here
   */
  public static IsolateNetwork create() {
    return new IsolateNetwork(Isolates.createNetwork());
  }

  /** The provider's side, for the OS level's members (through {@link NetworkAccess}). */
  private NetworkHandle handle() {
    if (closed.get()) {
      throw new IllegalStateException("the network is closed");
    }
    return backend;
  }

  /** The aliases members gave so far. */
  public Set<String> aliases() {
    synchronized (aliases) {
      return Set.copyOf(aliases);
    }
  }

  static String checkAlias(String alias) {
    Objects.requireNonNull(alias, "alias");
    if (alias.length() > 253 || !ALIAS.matcher(alias).matches() || alias.equalsIgnoreCase("localhost")) {
      throw new InvalidSpecException("network alias '" + alias + "' must be a host name (letters, digits, '-' and "
          + "'.', at most 253), not localhost");
    }
    return alias;
  }

  /** Records a member's aliases; the network makes them resolve. */
  private void join(Set<String> memberAliases) {
    handle().addAliases(memberAliases);
    aliases.addAll(memberAliases);
  }

  /**
   * Releases the network: it takes no new member, and {@code exec} and copies into members still running fail; those
   * members keep their addresses and reach each other until they end. Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      backend.close();
    }
  }

  @Override
  public String toString() {
    return "IsolateNetwork" + aliases();
  }
}
