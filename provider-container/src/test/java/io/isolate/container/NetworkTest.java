package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolateNetwork;
import io.isolate.Limits;
import io.isolate.Network;
import io.isolate.container.helper.HelperBinary;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Networks of isolates: each member has a network namespace and an address of its own on the network's bridge
 * (which it cannot change), so members reach each other by alias and may listen on the same port; an isolate outside
 * the network, a member of another network and the host do not reach them (but for a member's published ports); an
 * alias that joins later resolves in members already running; a closed network takes no new member and leaves no
 * process or directory.
 */
class NetworkTest {
  static final int PORT = 18_000 + (int) (ProcessHandle.current().pid() % 2000);
  private static final Pattern ETH0 = Pattern.compile("inet (10\\.89\\.0\\.\\d+)/24");

  @BeforeAll
  static void osLevel() {
    Prerequisites.requireOsLevel();
    Prerequisites.requireFile("/usr/bin/python3", "Debian package python3");
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
  }

  static Isolate.Builder server() {
    return Os.command("/usr/bin/python3", "-u", "-m", "http.server", Integer.toString(PORT), "--bind", "0.0.0.0",
        "--directory", "/etc").limits(Limits.builder().wallTime(Duration.ofSeconds(60)).build());
  }

  /** A server on {@link #PORT} of all the member's addresses that answers every connection with {@code name}. */
  static Isolate.Builder namedServer(String name) {
    return Os.command("/usr/bin/python3", "-u", "-c", "import socket\n"
        + "s = socket.socket()\n"
        + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        + "s.bind(('0.0.0.0', " + PORT + "))\n"
        + "s.listen(16)\n"
        + "while True:\n"
        + "  c, _ = s.accept()\n"
        + "  c.sendall(b'" + name + "\\n')\n"
        + "  c.close()\n").limits(Limits.builder().wallTime(Duration.ofSeconds(60)).build());
  }

  /** A client that prints what the server at {@code host} says, trying for about 6 s; exits 1 if it never could. */
  static String ask(String host) {
    return "import socket, sys, time\n"
        + "for i in range(300):\n"
        + "  try:\n"
        + "    c = socket.create_connection(('" + host + "', " + PORT + "), timeout=2)\n"
        + "    print(c.recv(64).decode().strip())\n"
        + "    sys.exit(0)\n"
        + "  except OSError as e:\n"
        + "    err = e\n"
        + "    time.sleep(0.02)\n"
        + "print(err, file=sys.stderr)\n"
        + "sys.exit(1)\n";
  }

  /** A client that exits 0 once the server at {@code host} answered 200, trying for about 6 s. */
  static String fetch(String host) {
    return fetch(host, 300);
  }

  /** A client that exits 0 once the server at {@code host} answered 200 within {@code attempts}. */
  static String fetch(String host, int attempts) {
    return "import sys, time, urllib.request\n"
        + "for i in range(" + attempts + "):\n"
        + "  try:\n"
        + "    sys.exit(0 if urllib.request.urlopen('http://" + host + ":" + PORT + "/hostname', timeout=2).status"
        + " == 200 else 3)\n"
        + "  except OSError as e:\n"
        + "    err = e\n"
        + "    time.sleep(0.02)\n"
        + "print(err, file=sys.stderr)\n"
        + "sys.exit(1)\n";
  }

  /** The address of the running member's eth0, as it sees it. */
  static String ownAddress(Isolate member) {
    ExitResult r = member.exec("/bin/busybox", "ip", "-4", "-o", "addr", "show", "dev", "eth0");
    Matcher m = ETH0.matcher(r.stdoutText());
    assertTrue(m.find(), "eth0 has an address in 10.89.0.0/24: " + r + " " + r.stdoutText());
    return m.group(1);
  }

  /**
   * What the host hears at {@code host}:{@code port} within about 2 s, "" when it cannot connect. (A connection
   * alone proves nothing: a host may have a transparent proxy that accepts connections to any address.)
   */
  static String hostHears(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 1000);
      s.setSoTimeout(1000);
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return "";
    }
  }

  @Test
  void membersReachEachOtherByAliasAndNobodyElseReachesThem() throws Exception {
    try (IsolateNetwork network = IsolateNetwork.create();
        Isolate web = server().network(network, "web", "www.internal").build();
        Isolate client = Os.command("/usr/bin/python3", "-c", fetch("www.internal")).network(network, "client")
            .build();
        Isolate outsider = Os.command("/usr/bin/python3", "-c", fetch("127.0.0.1", 1)).network(Network.LOOPBACK)
            .build()) {
      web.start();
      ExitResult r = client.run();
      assertEquals(0, r.exitCode(), r::toString);
      ExitResult out = outsider.run();
      assertNotEquals(0, out.exitCode(), "an isolate outside the network reached its server: " + out);
      // nor does the host: the member published nothing
      assertThrows(IOException.class, () -> new Socket("127.0.0.1", PORT).close());
      assertTrue(network.aliases().containsAll(Set.of("web", "www.internal", "client")));
    }
  }

  @Test
  void twoMembersListenOnOnePortAndEachReachesTheOtherByAlias() {
    try (IsolateNetwork network = IsolateNetwork.create();
        Isolate one = namedServer("one").network(network, "db-one").build();
        Isolate two = namedServer("two").network(network, "db-two").build()) {
      one.start();
      two.start();
      ExitResult fromOne = one.exec("/usr/bin/python3", "-c", ask("db-two"));
      assertEquals("two\n", fromOne.stdoutText(), fromOne::toString);
      ExitResult fromTwo = two.exec("/usr/bin/python3", "-c", ask("db-one"));
      assertEquals("one\n", fromTwo.stdoutText(), fromTwo::toString);
      ExitResult itself = one.exec("/usr/bin/python3", "-c", ask("127.0.0.1"));
      assertEquals("one\n", itself.stdoutText(), "each member has a loopback of its own: " + itself);
      // the host reaches neither, at its loopback or at their addresses: they published nothing
      assertEquals("", hostHears("127.0.0.1", PORT));
      assertNotEquals("one", hostHears(ownAddress(one), PORT));
      assertNotEquals("two", hostHears(ownAddress(two), PORT));
    }
  }

  @Test
  void eachMemberHasAnAddressOfItsOwnThatItsNamesResolveTo() {
    try (IsolateNetwork network = IsolateNetwork.create();
        Isolate one = Os.command("/bin/sleep", "30").hostname("box-one").network(network, "one").build();
        Isolate two = Os.command("/bin/sleep", "30").network(network, "two", "second").build()) {
      one.start();
      two.start();
      String a = ownAddress(one);
      String b = ownAddress(two);
      assertNotEquals(a, b);
      assertEquals(a + " one\n", resolve(two, "one"));
      assertEquals(b + " two\n", resolve(one, "two"));
      assertEquals(b + " second\n", resolve(one, "second"));
      assertEquals(b + " two\n", resolve(two, "two"), "a member resolves its own aliases");
      assertEquals(a + " box-one\n", resolve(one, "box-one"), "a member resolves its hostname to its address");
      // its namespace belongs to the keeper's user namespace, where the member has no capability
      ExitResult taken = one.exec("/bin/busybox", "ip", "addr", "add", b + "/24", "dev", "eth0");
      assertNotEquals(0, taken.exitCode(), "a member took another's address: " + taken);
      ExitResult down = one.exec("/bin/busybox", "ip", "link", "set", "eth0", "down");
      assertNotEquals(0, down.exitCode(), "a member changed its link: " + down);
      assertEquals(a, ownAddress(one));
    }
  }

  private static String resolve(Isolate member, String name) {
    ExitResult r = member.exec("/usr/bin/getent", "hosts", name);
    assertEquals(0, r.exitCode(), r::toString);
    return r.stdoutText().replaceAll("[ \t]+", " ");
  }

  @Test
  void anAliasThatJoinsLaterResolvesInMembersAlreadyRunning() {
    try (IsolateNetwork network = IsolateNetwork.create();
        Isolate early = Os.command("/bin/sleep", "30").network(network, "early").build()) {
      early.start();
      try (Isolate late = server().network(network, "late").build()) {
        late.start();
        ExitResult seen = early.exec("/usr/bin/getent", "hosts", "late");
        assertEquals(ownAddress(late) + " late\n", seen.stdoutText().replaceAll("[ \t]+", " "), seen::toString);
        ExitResult fetched = early.exec("/usr/bin/python3", "-c", fetch("late"));
        assertEquals(0, fetched.exitCode(), fetched::toString);
      }
      ExitResult gone = early.exec("/usr/bin/getent", "hosts", "late");
      assertEquals(2, gone.exitCode(), "a member that left no longer resolves: " + gone.stdoutText());
    }
  }

  @Test
  void aPublishedPortOfAMemberReachesItsListener() throws Exception {
    try (IsolateNetwork network = IsolateNetwork.create();
        Isolate one = namedServer("one").network(network, "one").publishPort(PORT).build();
        Isolate two = namedServer("two").network(network, "two").publishPort(PORT).build()) {
      one.start();
      two.start();
      assertEquals("one", readFromHost(one.mappedPort(PORT)));
      assertEquals("two", readFromHost(two.mappedPort(PORT)));
    }
  }

  private static String readFromHost(int port) throws Exception {
    for (int attempt = 0;; attempt++) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        s.setSoTimeout(5000);
        String said = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!said.isEmpty() || attempt == 100) {
          return said;
        }
      } catch (IOException e) {
        if (attempt == 100) {
          throw e;
        }
      }
      Thread.sleep(50);
    }
  }

  @Test
  void membersRunningWhenTheirNetworkClosesStillReachEachOther() {
    IsolateNetwork network = IsolateNetwork.create();
    try (Isolate web = namedServer("web").network(network, "web").build();
        Isolate client = Os.command("/usr/bin/python3", "-c", "import time\ntime.sleep(1)\n" + ask("web"))
            .network(network, "client").build()) {
      web.start();
      io.isolate.Execution asking = client.start();
      assertEquals(0, client.exec("/bin/true").exitCode(), "the client is in its namespace");
      network.close();
      ExitResult r = asking.await();
      assertEquals("web\n", r.stdoutText(), r::toString);
    } finally {
      network.close();
    }
  }

  @Test
  void copiesReachAMember(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    try (IsolateNetwork network = IsolateNetwork.create();
        Isolate member = Os.command("/bin/sleep", "30").mount(io.isolate.Mount.tmpfs("/work", 1 << 20))
            .network(network, "member").build()) {
      member.start();
      Path in = Files.writeString(tmp.resolve("in"), "hello");
      member.copyToIsolate(in, "/work/copied");
      member.copyFromIsolate("/work/copied", tmp.resolve("out"));
      assertEquals("hello", Files.readString(tmp.resolve("out")));
    }
  }

  @Test
  void aClosedNetworkTakesNoNewMember() {
    IsolateNetwork network = IsolateNetwork.create();
    network.close();
    network.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> Os.command("/bin/true").network(network, "x").build());
  }

  @Test
  void networksAreSeparateEvenWithTheSameSubnet() {
    try (IsolateNetwork one = IsolateNetwork.create(); IsolateNetwork two = IsolateNetwork.create();
        Isolate web = server().network(one, "web").build();
        Isolate first = Os.command("/bin/sleep", "30").network(two, "first").build()) {
      web.start();
      String address = ownAddress(web);
      assertEquals(0, web.exec("/usr/bin/python3", "-c", fetch(address)).exitCode(), "the server is up");
      first.start(); // takes the other network's first address: the one after is not taken there
      try (Isolate elsewhere = Os.command("/usr/bin/python3", "-c", fetch(address, 1)).network(two, "other")
          .build()) {
        ExitResult r = elsewhere.run();
        assertNotEquals(0, r.exitCode(), "a member of another network reached the server: " + r);
      }
    }
  }

  @Test
  void closingMembersAndNetworksLeavesNoProcessNorDirectory() throws Exception {
    for (int cycle = 0; cycle < 3; cycle++) {
      try (IsolateNetwork network = IsolateNetwork.create();
          Isolate one = Os.command("/bin/true").network(network, "one").build();
          Isolate two = Os.command("/bin/true").network(network, "two").build()) {
        assertEquals(0, one.run().exitCode());
        assertEquals(0, two.run().exitCode());
      }
    }
    ContainerNetwork net = ContainerNetwork.start(HelperBinary.path(), ContainerProvider.runRoot());
    ContainerNetwork.Member member = net.join(List.of("x"), "x");
    Path dir = member.hosts().getParent();
    assertEquals(2, helpers(), "the keeper and the member's holder");
    member.close();
    assertFalse(Files.exists(member.hosts()));
    assertEquals(1, helpers(), "the member's holder ended when it left");
    net.close();
    assertFalse(Files.exists(dir));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (helpers() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, helpers(), "no helper of a closed network is left");
  }

  /** This JVM's helper processes, keepers and holders of networks among them. */
  private static long helpers() {
    return ProcessHandle.current().descendants()
        .filter(p -> p.info().command().map(c -> c.contains("isolate-helper")).orElse(false)).count();
  }

  @Test
  void aDeadJvmsNetworkDirectoryIsSweptAndALiveOneIsNot() throws Exception {
    java.nio.file.Path runRoot = ContainerProvider.runRoot();
    java.nio.file.Path stale = java.nio.file.Files.createDirectories(runRoot.resolve("net-0123456789abcdef"));
    java.nio.file.Files.writeString(stale.resolve("lock"), ""); // no one holds it: its JVM died
    java.nio.file.Files.writeString(stale.resolve("hosts-2"), "127.0.0.1\tlocalhost\n");
    try (IsolateNetwork live = IsolateNetwork.create();
        Isolate member = Os.command("/bin/true").network(live, "member").build()) {
      ContainerIsolate.sweepStaleRunDirectories(runRoot);
      assertTrue(!java.nio.file.Files.exists(stale), "a dead JVM's network directory is removed");
      assertEquals(0, member.run().exitCode(), "the live network's directory (its hosts files) is kept");
    }
  }
}
