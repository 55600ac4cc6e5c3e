package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Mount;
import io.isolate.Network;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a hostile workload tries, and fails to do. */
class EscapeAttemptsTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireOsLevel();
  }

  private static String run(Isolate.Builder builder) {
    try (Isolate isolate = builder.build()) {
      ExitResult r = isolate.run();
      return r.stdoutText() + r.stderrText();
    }
  }

  @Test
  void cannotSeeHostProcesses() {
    String out = run(Os.sh("ls /proc | grep -c '^[0-9]'; cat /proc/1/comm; echo \"[$(tr -d '\\0' < /proc/1/cmdline)]\""));
    String[] lines = out.split("\n");
    assertTrue(Integer.parseInt(lines[0].trim()) <= 4, out);
    assertTrue(lines[1].startsWith("isolate-helper"), "pid 1 is the isolate's init: " + out);
    // init's command line (the helper's argv: host paths of the status file and cgroups) is blanked
    assertEquals("[]", lines[2], out);
  }

  @Test
  void cannotWriteToTheRootOrTheHostDirectories() {
    String out = run(Os.sh("for f in /x /usr/x /etc/x /bin/x; do touch $f 2>/dev/null && echo wrote $f; done;"
        + " touch /tmp/ok && echo tmp-writable"));
    assertEquals("tmp-writable\n", out);
  }

  @Test
  void writesOnlyWhereAReadWriteMountAllows(@TempDir Path rw, @TempDir Path ro) throws IOException {
    Files.writeString(ro.resolve("in.txt"), "data");
    String out = run(Os.sh("cat /ro/in.txt; echo; touch /ro/new 2>/dev/null && echo wrote-ro; echo hi > /rw/out.txt")
        .mount(Mount.readOnly(ro, "/ro")).mount(Mount.readWrite(rw, "/rw")));
    assertEquals("data\n", out);
    assertEquals("hi\n", Files.readString(rw.resolve("out.txt")));
    assertFalse(Files.exists(ro.resolve("new")));
  }

  @Test
  void cannotMountUnshareOrPtrace() {
    String out = run(Os.sh("mount -t tmpfs none /tmp 2>/dev/null && echo mounted;"
        + " unshare -U true 2>/dev/null && echo unshared;"
        + " unshare -rm true 2>/dev/null && echo unshared-root;"
        + " python3 -c 'import ctypes; print(\"ptrace\", ctypes.CDLL(None).ptrace(0, 0, 0, 0))';"
        + " python3 -c 'import ctypes; print(\"init_module\", ctypes.CDLL(None).syscall(175, 0, 0, 0))';"
        + " echo done"));
    assertFalse(out.contains("mounted"), out);
    assertFalse(out.contains("unshared"), out);
    assertTrue(out.contains("ptrace -1"), out);
    assertTrue(out.contains("init_module -1"), out);
    assertTrue(out.contains("done"), out);
  }

  @Test
  void cannotChangeKernelSettingsThroughProcOrSys() {
    // each write would be harmless if it went through: the same core pattern, drop clean caches, print sysrq help
    String out = run(Os.sh("cat /proc/sys/kernel/core_pattern > /tmp/p;"
        + " cat /tmp/p 2>/dev/null > /proc/sys/kernel/core_pattern && echo wrote-core-pattern;"
        + " echo 1 2>/dev/null > /proc/sys/vm/drop_caches && echo wrote-sysctl;"
        + " cat /proc/timer_list 2>/dev/null | wc -c;"
        + " echo h 2>/dev/null > /proc/sysrq-trigger && echo wrote-sysrq;"
        + " ls /sys 2>/dev/null | head -1; hostname evil 2>/dev/null && echo renamed; echo done"));
    assertEquals("0\ndone\n", out);
  }

  @Test
  void hasNoNetworkByDefault() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String out = run(Os.sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ';"
          + " python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", " + server.getLocalPort()
          + "), timeout=2); print(\"connected\")' 2>/dev/null || echo refused"));
      assertEquals("lo\nrefused\n", out);
    }
  }

  @Test
  void loopbackHasAWorkingLoInsideButNoRouteOut() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String out = run(Os.sh("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen();"
          + " c=socket.create_connection(s.getsockname()); print(\"inner-ok\")';"
          + " python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", " + server.getLocalPort()
          + "), timeout=2); print(\"connected\")' 2>/dev/null || echo refused").network(Network.LOOPBACK));
      assertEquals("inner-ok\nrefused\n", out);
    }
  }

  @Test
  void hostNetworkReachesTheHost() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String out = run(Os.sh("python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", "
          + server.getLocalPort() + "), timeout=2); print(\"connected\")'").network(Network.HOST));
      assertEquals("connected\n", out);
    }
  }

  @Test
  void cannotReachHostFilesOutsideTheMounts() {
    String out = run(Os.sh("ls /root /home /var /work 2>&1 | grep -v 'No such file' | head -3; ls /"));
    assertEquals("", out.lines().filter(l -> l.startsWith("/") || l.contains(":")).reduce("", String::concat), out);
    assertFalse(out.contains("root\n"), out);
  }

  @Test
  void cannotReadFilesOnlyHostRootMayRead() {
    Prerequisites.require(io.isolate.container.helper.HelperBinary.currentUid() == 0, "a JVM running as root");
    Prerequisites.requireFile("/etc/shadow", "a shadow password file");
    String out = run(Os.sh("wc -c < /etc/shadow; cat /etc/passwd | head -1 | cut -d: -f1"));
    assertEquals("0\nroot\n", out);
  }

  @Test
  void deniedSyscallAdditionsApply() {
    String out = run(Os.sh("mkdir /tmp/d && echo made").denySyscalls("mkdir", "mkdirat"));
    assertFalse(out.contains("made"), out);
  }

  @Test
  void vsockAndOtherUnconfinedSocketFamiliesFailUnderEveryNetworkMode() {
    // vsock is not network-namespaced: a bound port is the host's (the host then gets EADDRINUSE), and on a cloud VM
    // it reaches the hypervisor. An allowed family keeps working.
    String probe = "python3 -c 'import socket\n"
        + "for name, family in ((\"vsock\", socket.AF_VSOCK), (\"packet\", socket.AF_PACKET), (\"alg\", 38)):\n"
        + "  try:\n"
        + "    s = socket.socket(family, socket.SOCK_DGRAM if family == 38 else socket.SOCK_STREAM)\n"
        + "    print(name, \"created\")\n"
        + "  except OSError as e:\n"
        + "    print(name, e.errno)\n"
        + "a, b = socket.socketpair(); a.send(b\"x\"); print(\"unix\", b.recv(1).decode())\n"
        + "socket.socket(socket.AF_INET, socket.SOCK_DGRAM); print(\"inet ok\")'";
    for (Network network : Network.values()) {
      String out = run(Os.sh(probe).network(network));
      assertEquals("vsock 97\npacket 97\nalg 97\nunix x\ninet ok\n", out, "network " + network);
    }
  }
}
