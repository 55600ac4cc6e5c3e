package io.isolate.container;

import io.isolate.StartFailedException;
import io.isolate.container.helper.HelperLauncher;
import io.isolate.spi.NetworkBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A network of isolates at the OS level, laid out as a Docker bridge network. The helper's {@code --network-keeper}
 * holds a network namespace with a bridge in it (in a user namespace of its own when the JVM is not root) while the
 * network lives. Each member gets a namespace of its own, held by a child of the keeper, with a loopback and an
 * {@code eth0} on the bridge whose address this class chooses in {@link #SUBNET}; the member's isolate joins that
 * namespace ({@code --join-net}). So each member has its own ports and address, members reach each other over the
 * bridge, and nothing else reaches them: the bridge's namespace has no link to the host or to another network (so
 * every network may use the same subnet).
 *
 * <p>Each member's {@code /etc/hosts} is a file of its own, bound read-only into it: its hostname and every member's
 * aliases, each with that member's address; all of them are rewritten in place (same inode, so running members see it)
 * when a member joins or leaves.
 */
final class ContainerNetwork implements NetworkBackend {
  /** Every network's subnet: members get 10.89.0.2 to 10.89.0.254 (.1 is left for a gateway, as Docker does). */
  static final String SUBNET = "10.89.0.0/24";

  private static final String PREFIX = "10.89.0.";
  private static final int FIRST_HOST = 2;
  private static final int LAST_HOST = 254;

  /** The run directories of this JVM's live networks: a sweep must not even open their locks (see ContainerIsolate). */
  private static final Set<Path> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final Process keeper;
  private final BufferedReader said;
  private final OutputStream ask;
  private final java.nio.channels.FileChannel lock;
  private final Path dir;
  private final boolean ownUserNamespace;
  /** The members, in the order they joined: the first member with an alias is the one it resolves to. */
  private final List<Member> members = new ArrayList<>();
  private final BitSet taken = new BitSet();
  private boolean closed;

  private ContainerNetwork(Process keeper, BufferedReader said, java.nio.channels.FileChannel lock, Path dir,
      boolean ownUserNamespace) {
    this.keeper = keeper;
    this.said = said;
    this.ask = keeper.getOutputStream();
    this.lock = lock;
    this.dir = dir;
    this.ownUserNamespace = ownUserNamespace;
  }

  static ContainerNetwork start(Path helper, Path runRoot) {
    return start(List.of(helper.toString()), runRoot, io.isolate.container.helper.HelperBinary.currentUid() != 0);
  }

  /** With the keeper's command line given (tests run it as another user). */
  static ContainerNetwork start(List<String> keeperCommand, Path runRoot, boolean ownUserNamespace) {
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
      List<String> argv = new ArrayList<>(keeperCommand);
      argv.add("--network-keeper");
      keeper = HelperLauncher.start(new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD));
      BufferedReader said = new BufferedReader(new InputStreamReader(keeper.getInputStream(), StandardCharsets.UTF_8));
      String line = said.readLine(); // the keeper says so once its namespace and bridge are up, or why not
      if (!"ready".equals(line)) {
        throw new IOException("the network's helper ended before its namespace was ready (exit "
            + keeper.waitFor() + (line == null ? "" : ": " + line) + ")");
      }
      return new ContainerNetwork(keeper, said, lock, dir, ownUserNamespace);
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

  boolean isAlive() {
    synchronized (this) {
      return !closed && keeper.isAlive();
    }
  }

  /**
   * Nothing to do yet: a member's aliases resolve, to its address, once it has one ({@link #join}, when the provider
   * creates it).
   */
  @Override
  public void addAliases(Collection<String> more) {
  }

  /**
   * Gives a new member its place on the network: a namespace of its own with the next free address, and its hosts
   * file; every member's hosts file then has its aliases. Closing the member gives them back.
   *
   * @throws StartFailedException when the network is full or its helper cannot make the member's namespace
   */
  synchronized Member join(Collection<String> aliases, String hostname) {
    if (closed || !keeper.isAlive()) {
      throw new IllegalStateException("the network is closed");
    }
    int host = taken.nextClearBit(FIRST_HOST);
    if (host > LAST_HOST) {
      throw new StartFailedException("the network is full: " + (LAST_HOST - FIRST_HOST + 1) + " members at once in "
          + SUBNET);
    }
    String address = PREFIX + host;
    String reply = ask("member " + address + "/" + SUBNET.substring(SUBNET.indexOf('/') + 1));
    if (!reply.matches("member [1-9][0-9]{0,9}")) {
      throw new StartFailedException("cannot give a member of the network address " + address + ": "
          + reply.replaceFirst("^error ", ""));
    }
    Member m = new Member(Long.parseLong(reply.substring(7)), host, address, Set.copyOf(new LinkedHashSet<>(aliases)),
        hostname, dir.resolve("hosts-" + host));
    members.add(m);
    taken.set(host);
    try {
      Files.writeString(m.hosts, "", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      writeHostsFiles();
    } catch (IOException e) {
      leave(m);
      throw new StartFailedException("cannot write the network's hosts file " + m.hosts + ": " + e.getMessage(), e);
    }
    return m;
  }

  /** Sends one command to the keeper and returns its one-line answer. */
  private String ask(String command) {
    try {
      ask.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
      ask.flush();
      String line = said.readLine();
      if (line == null) {
        throw new IOException("the network's helper has ended");
      }
      return line;
    } catch (IOException e) {
      throw new StartFailedException("the network of isolates is gone: " + e.getMessage(), e);
    }
  }

  private synchronized void leave(Member m) {
    if (!members.remove(m)) {
      return;
    }
    taken.clear(m.host);
    try {
      Files.deleteIfExists(m.hosts);
    } catch (IOException ignored) {
      // the network's directory goes when it closes
    }
    if (closed) {
      return; // the keeper ended its holders
    }
    try {
      ask("release " + m.holderPid);
      writeHostsFiles();
    } catch (IOException | RuntimeException e) {
      // a member leaving cannot fail: the keeper ends the holder with the network at the latest
    }
  }

  /** Rewrites every member's hosts file in place: members bind these very files, and a rename would leave them the
   * old one. */
  private void writeHostsFiles() throws IOException {
    for (Member m : members) {
      Files.writeString(m.hosts, hostsFile(m), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    }
  }

  private String hostsFile(Member self) {
    StringBuilder b = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    b.append(self.address).append('\t').append(self.hostname).append('\n');
    Set<String> written = new java.util.HashSet<>();
    for (Member m : members) {
      for (String alias : m.aliases) {
        if (written.add(alias.toLowerCase(java.util.Locale.ROOT))) {
          b.append(m.address).append('\t').append(alias).append('\n');
        }
      }
    }
    return b.toString();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      ask.close(); // the keeper's stdin ends: it ends its holders and exits; running members keep their namespaces
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
      if (Files.isDirectory(dir)) {
        try (Stream<Path> files = Files.list(dir)) {
          for (Path f : files.toList()) {
            Files.deleteIfExists(f); // the lock and the members' hosts files (bound into running members: kept there)
          }
        }
      }
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a run directory the next sweep removes
    } finally {
      LIVE.remove(dir);
    }
  }

  /** A member's place on the network, given back by {@link #close()} once the member's processes have ended. */
  final class Member implements AutoCloseable {
    private final long holderPid;
    private final int host;
    private final String address;
    private final Set<String> aliases;
    private final String hostname;
    private final Path hosts;

    private Member(long holderPid, int host, String address, Set<String> aliases, String hostname, Path hosts) {
      this.holderPid = holderPid;
      this.host = host;
      this.address = address;
      this.aliases = aliases;
      this.hostname = hostname;
      this.hosts = hosts;
    }

    /** What the helper needs to join the member's namespace. */
    SandboxPolicy.NetworkMember place() {
      return new SandboxPolicy.NetworkMember(holderPid, keeper.pid(), ownUserNamespace);
    }

    /** The member's IPv4 address on the network. */
    String address() {
      return address;
    }

    /** The member's /etc/hosts on the host. */
    Path hosts() {
      return hosts;
    }

    /** Gives the address and the aliases back; idempotent. */
    @Override
    public void close() {
      leave(this);
    }

    @Override
    public String toString() {
      return address + " " + aliases;
    }
  }
}
