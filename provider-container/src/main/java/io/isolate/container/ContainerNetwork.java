package io.isolate.container;

import io.isolate.StartFailedException;
import io.isolate.container.helper.HelperLauncher;
import io.isolate.spi.NetworkBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;

/**
 * A network of isolates at the OS level: the helper's {@code --network-keeper} holds a network namespace (with its
 * loopback up; in a user namespace of its own when the JVM is not root) while the network lives, and members join it
 * ({@code --join-net}). The members' {@code /etc/hosts} is one host file bound read-only into each, rewritten in
 * place (same inode, so every member sees it) when a member brings aliases.
 */
final class ContainerNetwork implements NetworkBackend {
  /** The run directories of this JVM's live networks: a sweep must not even open their locks (see ContainerIsolate). */
  private static final Set<Path> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final Process keeper;
  private final java.nio.channels.FileChannel lock;
  private final Path dir;
  private final Path hosts;
  private final boolean ownUserNamespace;
  private final Set<String> aliases = new LinkedHashSet<>();

  private ContainerNetwork(Process keeper, java.nio.channels.FileChannel lock, Path dir, Path hosts,
      boolean ownUserNamespace) {
    this.keeper = keeper;
    this.lock = lock;
    this.dir = dir;
    this.hosts = hosts;
    this.ownUserNamespace = ownUserNamespace;
  }

  static ContainerNetwork start(Path helper, Path runRoot) {
    Path dir = runRoot.resolve("net-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16));
    Process keeper = null;
    java.nio.channels.FileChannel lock = null;
    try {
      Files.createDirectories(runRoot);
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      LIVE.add(dir);
      // held while the network lives; a network directory whose lock is free belongs to a JVM that died (the sweep)
      lock = java.nio.channels.FileChannel.open(dir.resolve(ContainerIsolate.LOCK), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      lock.lock();
      Path hosts = dir.resolve("hosts");
      Files.writeString(hosts, hostsFile(Set.of()));
      keeper = HelperLauncher.start(new ProcessBuilder(helper.toString(), "--network-keeper")
          .redirectError(ProcessBuilder.Redirect.DISCARD));
      BufferedReader said = new BufferedReader(new InputStreamReader(keeper.getInputStream(), StandardCharsets.UTF_8));
      String line = said.readLine(); // the keeper says so once its namespace is up, or ends
      if (!"ready".equals(line)) {
        throw new IOException("the network's helper ended before its namespace was ready (exit "
            + keeper.waitFor() + ")");
      }
      return new ContainerNetwork(keeper, lock, dir, hosts,
          io.isolate.container.helper.HelperBinary.currentUid() != 0);
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (keeper != null) {
        keeper.destroyForcibly();
      }
      release(lock, dir);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new StartFailedException("cannot make a network of isolates: " + e.getMessage(), e);
    }
  }

  /** The keeper's host pid, whose network namespace members join. */
  long keeperPid() {
    return keeper.pid();
  }

  /** Whether the keeper has a user namespace of its own: members' id maps are then relative to it. */
  boolean ownUserNamespace() {
    return ownUserNamespace;
  }

  /** The members' /etc/hosts on the host. */
  Path hosts() {
    return hosts;
  }

  boolean isAlive() {
    return keeper.isAlive();
  }

  @Override
  public synchronized void addAliases(Collection<String> more) {
    if (!aliases.addAll(more)) {
      return;
    }
    try {
      // in place: members bind this very file, and a rename would leave them the old one
      Files.writeString(hosts, hostsFile(aliases), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw new StartFailedException("cannot write the network's hosts file " + hosts + ": " + e.getMessage(), e);
    }
  }

  private static String hostsFile(Set<String> aliases) {
    StringBuilder b = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    for (String alias : aliases) {
      b.append("127.0.0.1\t").append(alias).append('\n');
    }
    return b.toString();
  }

  @Override
  public void close() {
    try {
      keeper.getOutputStream().close(); // the keeper's stdin ends: it exits; members keep the namespace while they run
    } catch (IOException e) {
      keeper.destroyForcibly();
    }
    release(lock, dir);
  }

  /** Whether {@code dir} is the run directory of one of this JVM's live networks. */
  static boolean isLive(Path dir) {
    return LIVE.contains(dir);
  }

  private static void release(java.nio.channels.FileChannel lock, Path dir) {
    try {
      if (lock != null) {
        lock.close();
      }
      Files.deleteIfExists(dir.resolve("hosts"));
      Files.deleteIfExists(dir.resolve(ContainerIsolate.LOCK));
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a run directory the next sweep removes
    } finally {
      LIVE.remove(dir);
    }
  }
}
