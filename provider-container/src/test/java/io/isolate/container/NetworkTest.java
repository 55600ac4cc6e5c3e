package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolateNetwork;
import io.isolate.Limits;
import io.isolate.Network;
import io.isolate.StartFailedException;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Networks of isolates: members reach each other by alias, an isolate outside the network and the host do not reach
 * them, an alias that joins later resolves in members already running, and a closed network takes no new member.
 */
class NetworkTest {
  static final int PORT = 18_000 + (int) (ProcessHandle.current().pid() % 2000);

  @BeforeAll
  static void osLevel() {
    Prerequisites.requireOsLevel();
    Prerequisites.requireFile("/usr/bin/python3", "Debian package python3");
  }

  static Isolate.Builder server() {
    return Os.command("/usr/bin/python3", "-u", "-m", "http.server", Integer.toString(PORT), "--bind", "127.0.0.1",
        "--directory", "/etc").limits(Limits.builder().wallTime(Duration.ofSeconds(60)).build());
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
      assertThrows(java.io.IOException.class, () -> new java.net.Socket("127.0.0.1", PORT).close());
      assertTrue(network.aliases().containsAll(java.util.Set.of("web", "www.internal", "client")));
    }
  }

  @Test
  void anAliasThatJoinsLaterResolvesInMembersAlreadyRunning() {
    try (IsolateNetwork network = IsolateNetwork.create();
        Isolate early = Os.command("/bin/sleep", "30").network(network, "early").build()) {
      early.start();
      try (Isolate late = server().network(network, "late").build()) {
        late.start();
        ExitResult seen = early.exec("/usr/bin/getent", "hosts", "late");
        assertEquals("127.0.0.1       late\n", seen.stdoutText(), seen::toString);
        ExitResult fetched = early.exec("/usr/bin/python3", "-c", fetch("late"));
        assertEquals(0, fetched.exitCode(), fetched::toString);
      }
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
  void networksAreSeparate() {
    try (IsolateNetwork one = IsolateNetwork.create(); IsolateNetwork two = IsolateNetwork.create();
        Isolate web = server().network(one, "web").build();
        Isolate elsewhere = Os.command("/usr/bin/python3", "-c", fetch("127.0.0.1", 1)).network(two, "other")
            .build()) {
      web.start();
      assertEquals(0, web.exec("/usr/bin/python3", "-c", fetch("127.0.0.1")).exitCode(), "the server is up");
      ExitResult r = elsewhere.run();
      assertNotEquals(0, r.exitCode(), "a member of another network reached the server: " + r);
    }
  }

  @Test
  void aDeadJvmsNetworkDirectoryIsSweptAndALiveOneIsNot() throws Exception {
    java.nio.file.Path runRoot = ContainerProvider.runRoot();
    java.nio.file.Path stale = java.nio.file.Files.createDirectories(runRoot.resolve("net-0123456789abcdef"));
    java.nio.file.Files.writeString(stale.resolve("lock"), ""); // no one holds it: its JVM died
    java.nio.file.Files.writeString(stale.resolve("hosts"), "127.0.0.1\tlocalhost\n");
    try (IsolateNetwork live = IsolateNetwork.create();
        Isolate member = Os.command("/bin/true").network(live, "member").build()) {
      ContainerIsolate.sweepStaleRunDirectories(runRoot);
      assertTrue(!java.nio.file.Files.exists(stale), "a dead JVM's network directory is removed");
      assertEquals(0, member.run().exitCode(), "the live network's directory (its hosts file) is kept");
    }
  }
}
