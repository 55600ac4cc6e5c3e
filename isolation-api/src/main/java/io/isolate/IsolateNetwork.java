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
 * A network that several OS-level isolates share, as a Docker network for Testcontainers' {@code withNetwork}: a
 * network namespace of its own (in a user namespace of its own when the JVM is not root), with only a loopback, so
 * that members reach each other and nothing else; the host and other networks do not see it (a member's published
 * ports excepted). Members join with {@link Isolate.Builder#network(IsolateNetwork, String...)} and reach each other
 * by their aliases, which every member resolves (its {@code /etc/hosts} is the network's, updated as members join).
 *
 * <p>Members share one loopback: an alias resolves to 127.0.0.1, and two members cannot listen on one port, unlike
 * Docker's networks, which give each container an address of its own.
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

  /** Releases the network; members still running keep it until they end. Idempotent. */
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
