package io.isolate.container;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.Workload;
import io.isolate.container.helper.HelperBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Escape attempts at the OS level, each checked twice: by what the workload reports and by comparing host victims
 * before and after. Victims are files the user running the suite owns (so that an unconfined workload could change
 * them), kernel settings readable in the host's {@code /proc}, and the host's hostname. Mounts given to the
 * isolate hold links pointing at the victims, by absolute path, by {@code ..} and through chains.
 *
 * <p>Run in the test JVM ({@code OsEscapeSuiteTest}, root here) and, through {@link #main}, in a JVM of an
 * unprivileged user, so that both ways the OS level is used are covered. Prints one line per probe and a summary.
 */
public final class EscapeSuite {
  private final Path work;
  private final Path victims;
  private final Path secret;
  private final Path ro;
  private final Path rw;

  EscapeSuite(Path work) throws IOException {
    this.work = work;
    victims = Files.createDirectories(work.resolve("victims"));
    secret = Files.writeString(victims.resolve("secret"), "TOP-SECRET\n");
    Files.writeString(victims.resolve("config"), "setting=1\n");
    Files.createDirectories(victims.resolve("dir"));
    Files.writeString(victims.resolve("dir/inside"), "keep\n");
    ro = Files.createDirectories(work.resolve("ro"));
    rw = Files.createDirectories(work.resolve("rw"));
    for (Path mount : List.of(ro, rw)) {
      Files.createSymbolicLink(mount.resolve("abs"), secret);
      Files.createSymbolicLink(mount.resolve("rel"), mount.relativize(secret));
      Files.createSymbolicLink(mount.resolve("dirlink"), victims.resolve("dir"));
      Files.createSymbolicLink(mount.resolve("chain1"), Path.of("chain2"));
      Files.createSymbolicLink(mount.resolve("chain2"), Path.of("chain3"));
      Files.createSymbolicLink(mount.resolve("chain3"), victims.resolve("config"));
      Files.createSymbolicLink(mount.resolve("proc-root"), Path.of("/proc/1/root" + secret));
    }
  }

  /** A probe: a shell script run in an isolate, and what its output must be. */
  private record Probe(String name, Network network, String script, String expected) {}

  private List<Probe> probes() {
    String paths = "/ro/abs /ro/rel /ro/dirlink/inside /ro/chain1 /ro/proc-root /rw/abs /rw/rel /rw/chain1 "
        + secret + " /proc/1/root" + secret;
    return List.of(
        new Probe("reads through links in mounts", Network.NONE,
            "for f in " + paths + "; do cat $f 2>/dev/null; done; echo done", "done\n"),
        new Probe("writes through links in a read-write mount", Network.NONE,
            "for f in /rw/abs /rw/rel /rw/chain1 /rw/dirlink/inside /rw/dirlink/new; do"
                + " echo pwned 2>/dev/null > $f; done; rm -f /rw/dirlink/inside 2>/dev/null; echo done", "done\n"),
        new Probe("hard links to host files", Network.NONE,
            "ln /etc/passwd /rw/hl 2>/dev/null && echo linked; ln /ro/abs /rw/hl2 2>/dev/null && echo linked2;"
                + " echo done", "done\n"),
        new Probe("device nodes", Network.NONE,
            "mknod /tmp/sda b 8 0 2>/dev/null && echo made-block; mknod /tmp/mem c 1 1 2>/dev/null && echo made-mem;"
                + " ls /dev | tr '\\n' ' '; echo; cat /dev/mem /dev/kmsg /dev/sda 2>/dev/null | head -c1 | wc -c",
            "fd full null random shm stderr stdin stdout tty urandom zero \n0\n"),
        new Probe("kernel settings in /proc and /sys", Network.NONE,
            "cat /proc/sys/kernel/core_pattern > /tmp/p; cat /tmp/p 2>/dev/null > /proc/sys/kernel/core_pattern"
                + " && echo wrote-core-pattern; echo 1 2>/dev/null > /proc/sys/vm/drop_caches && echo wrote-sysctl;"
                + " echo h 2>/dev/null > /proc/sysrq-trigger && echo wrote-sysrq; echo evil 2>/dev/null >"
                + " /proc/sys/kernel/hostname; hostname evil 2>/dev/null && echo renamed;"
                + " ls /sys 2>/dev/null | wc -l; echo done", "0\ndone\n"),
        new Probe("the view of cgroups", Network.NONE,
            "cut -d: -f3 /proc/self/cgroup | sort -u | tr '\\n' ' '; echo; ls /sys/fs/cgroup 2>/dev/null | wc -l;"
                + " mkdir /sys/fs/cgroup/x 2>/dev/null && echo made-cgroup; echo done", "/ \n0\ndone\n"),
        new Probe("inherited descriptors", Network.NONE,
            "ls /proc/self/fd | sort -n | tr '\\n' ' '; echo", "0 1 2 3 \n"),
        new Probe("chroot, mount and namespace escapes", Network.NONE,
            "chroot /tmp /bin/true 2>/dev/null && echo chrooted; mount -t tmpfs x /tmp 2>/dev/null && echo mounted;"
                + " unshare -r true 2>/dev/null && echo unshared; nsenter -t 1 -m true 2>/dev/null && echo entered;"
                + " echo done", "done\n"),
        rawSockets(Network.NONE), rawSockets(Network.LOOPBACK), rawSockets(Network.HOST));
  }

  private static Probe rawSockets(Network network) {
    return new Probe("raw and vsock sockets under " + network, network,
        "python3 -c 'import socket\n"
            + "for name, args in ((\"raw\", (socket.AF_INET, socket.SOCK_RAW, 1)), (\"packet\", (socket.AF_PACKET,"
            + " socket.SOCK_RAW, 0)), (\"vsock\", (socket.AF_VSOCK, socket.SOCK_STREAM, 0))):\n"
            + "  try:\n    socket.socket(*args); print(name, \"created\")\n"
            + "  except OSError as e:\n    print(name, e.errno)'",
        "raw 1\npacket 97\nvsock 97\n");
  }

  /** What an escape could change on the host: the victims (and the mounts' links), and kernel settings. */
  private Map<String, String> hostState() throws IOException {
    Map<String, String> state = new TreeMap<>(HostFiles.snapshot(work));
    for (String setting : List.of("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname",
        "/proc/sys/kernel/domainname")) {
      state.put(setting, Files.readString(Path.of(setting)));
    }
    return state;
  }

  /** Runs every probe; returns the failures, each naming the probe and what went wrong. */
  List<String> run() throws IOException {
    List<String> failures = new ArrayList<>();
    for (Probe probe : probes()) {
      Map<String, String> before = hostState();
      String out;
      try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS)
          .workload(Workload.command("/bin/sh", "-c", probe.script()))
          .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
          .mount(Mount.readOnly(ro, "/ro")).mount(Mount.readWrite(rw, "/rw"))
          .network(probe.network())
          .limits(Limits.builder().wallTime(Duration.ofSeconds(20)).build())
          // an unprivileged JVM here has no cgroup of its own to delegate: the probes need no limit but time
          .acceptUnenforcedLimits(HelperBinary.currentUid() != 0)
          .build()) {
        ExitResult r = isolate.run();
        out = r.stdoutText();
      }
      Map<String, String> after = hostState();
      if (!out.equals(probe.expected())) {
        failures.add(probe.name() + ": the workload printed " + quote(out) + ", expected " + quote(probe.expected()));
      }
      if (!before.equals(after)) {
        List<String> changed = new ArrayList<>();
        after.forEach((k, v) -> {
          if (!v.equals(before.get(k))) {
            changed.add(k);
          }
        });
        before.keySet().stream().filter(k -> !after.containsKey(k)).forEach(changed::add);
        failures.add(probe.name() + ": the host changed: " + changed);
      }
      System.out.println((failures.stream().anyMatch(f -> f.startsWith(probe.name() + ":")) ? "FAIL " : "ok   ")
          + probe.name());
    }
    return failures;
  }

  private static String quote(String s) {
    return "'" + s.replace("\n", "\\n") + "'";
  }

  /** Runs the suite in {@code args[0]} (a directory this user may write) and prints the closing line. */
  public static void main(String[] args) throws IOException {
    EscapeSuite suite = new EscapeSuite(Path.of(args[0]));
    List<String> failures = suite.run();
    failures.forEach(f -> System.out.println("  " + f));
    int total = suite.probes().size();
    int failed = (int) suite.probes().stream()
        .filter(p -> failures.stream().anyMatch(f -> f.startsWith(p.name() + ":"))).count();
    System.out.println("escape probes held: " + (total - failed) + " of " + total);
    System.exit(failed == 0 ? 0 : 1);
  }
}
