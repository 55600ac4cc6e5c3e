package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.IsolateNetwork;
import io.isolate.IsolateSpec;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.seccomp.SeccompProfile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network of isolates made by a JVM that is not root, at the helper level: the keeper runs as an unprivileged user
 * (nobody) in a user namespace of its own, and still gives each member a namespace and an address of its own on its
 * bridge. The test JVM is root, so it drops to nobody with setpriv for the helpers only.
 */
class NetworkRootlessTest {
  private static final List<String> AS_NOBODY = List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
      "--clear-groups");

  @Test
  void anUnprivilegedKeeperGivesEachMemberAnAddressOnItsBridge(@TempDir Path tmp) throws Exception {
    Prerequisites.requireOsLevel();
    Prerequisites.require(HelperBinary.currentUid() == 0, "root (to switch to nobody)");
    Prerequisites.requireFile("/usr/bin/setpriv", "util-linux setpriv");
    Prerequisites.requireFile("/usr/bin/python3", "Debian package python3");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path helper = Files.copy(HelperBinary.path(), tmp.resolve("isolate-helper"));
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("r-xr-xr-x"));
    List<String> keeper = new ArrayList<>(AS_NOBODY);
    keeper.add(helper.toString());
    ContainerNetwork network = ContainerNetwork.start(keeper, tmp.resolve("run"), true);
    // a spec on a network names one; the places below are the rootless network's
    try (IsolateNetwork named = IsolateNetwork.create()) {
      ContainerNetwork.Member one = network.join(List.of("one"), "one");
      ContainerNetwork.Member two = network.join(List.of("two"), "two");
      assertEquals("10.89.0.2", one.address());
      assertEquals("10.89.0.3", two.address());
      Process server = asNobody(helper, tmp, "one", one, Os.command("/usr/bin/python3", "-c", "import socket\n"
          + "s = socket.socket()\n"
          + "s.bind(('0.0.0.0', 5432))\n"
          + "s.listen(4)\n"
          + "c, _ = s.accept()\n"
          + "c.sendall(b'one\\n')\n"
          + "c.close()\n").network(named, "one").spec());
      Process client = asNobody(helper, tmp, "two", two, Os.command("/usr/bin/python3", "-c", "import socket, time\n"
          + "for i in range(300):\n"
          + "  try:\n"
          + "    c = socket.create_connection(('10.89.0.2', 5432), timeout=2)\n"
          + "    break\n"
          + "  except OSError:\n"
          + "    time.sleep(0.02)\n"
          + "print(c.recv(64).decode().strip(), c.getsockname()[0], open('/proc/self/uid_map').read().split())\n")
          .network(named, "two").spec());
      String said = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, client.waitFor(), said);
      assertEquals("one 10.89.0.3 ['0', '0', '1']\n", said, "the server answered the client's own address, and "
          + "the isolate's root is the keeper's (the JVM's user)");
      String served = new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, server.waitFor(), served);
      one.close();
      two.close();
    } finally {
      network.close();
    }
    try (java.util.stream.Stream<Path> left = Files.list(tmp.resolve("run"))) {
      assertEquals(List.of(), left.toList(), "the network's directory is gone");
    }
  }

  private static Process asNobody(Path helper, Path tmp, String name, ContainerNetwork.Member member,
      IsolateSpec spec) throws Exception {
    List<String> argv = new ArrayList<>(AS_NOBODY);
    argv.addAll(new SandboxPolicy(HostLayout.REAL).command(spec, new SandboxPolicy.Inputs(helper,
        tmp.resolve("status-" + name), Path.of("/tmp"), 65534, 65534, List.of(), List.of(), List.of(), List.of(),
        SeccompProfile.of(List.of(), List.of()).toBpf(), tmp.resolve("e"), tmp.resolve("d"), List.of(),
        member.place())).argv());
    return new ProcessBuilder(argv).redirectErrorStream(true).start();
  }
}
