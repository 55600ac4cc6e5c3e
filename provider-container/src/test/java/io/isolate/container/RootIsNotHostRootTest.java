package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root JVM's isolate runs as an unprivileged host id: uid 0 inside is host uid 2^30, as rootless containers and
 * {@code --userns=auto} do, and the host files it is given (the host's directories, bindings) are id-mapped, so
 * their owners show inside as on the host and what its root writes into a binding is stored as host root's. Runs
 * where the JVM is root (CI); elsewhere the isolate's root is the JVM's own uid and there is nothing to show.
 */
class RootIsNotHostRootTest {
  private static final long SHIFT = SandboxPolicy.ID_RANGE_START;

  @TempDir Path dir;

  @BeforeEach
  void rootJvm() {
    Prerequisites.requireOsLevel();
    Prerequisites.require("root".equals(System.getProperty("user.name")), "a JVM running as root");
  }

  @Test
  void theIsolatesRootIsAnUnprivilegedHostId() throws Exception {
    String marker = "31.4159" + ProcessHandle.current().pid();
    try (Isolate isolate = Os.sh("id -u; id -g; cat /proc/self/uid_map; exec sleep " + marker).build()) {
      io.isolate.Execution run = isolate.start();
      long pid = waitForProcess("sleep\0" + marker);
      Map<String, String> status = status(pid);
      assertTrue(status.get("Uid").startsWith(SHIFT + "\t"), "host uid of the isolate's root: " + status.get("Uid"));
      assertTrue(status.get("Gid").startsWith(SHIFT + "\t"), "host gid of the isolate's root: " + status.get("Gid"));
      run.kill();
      ExitResult r = run.await();
      String[] lines = r.stdoutText().split("\n");
      assertEquals("0", lines[0], "root inside");
      assertEquals("0", lines[1]);
      assertEquals(java.util.List.of("0", Long.toString(SHIFT), "65536"), java.util.List.of(lines[2].trim().split("\\s+")));
    }
  }

  @Test
  void hostFilesKeepTheirOwnersInsideAndWritesIntoABindingAreStoredAsTheHostsRoot() throws Exception {
    Path data = Files.createDirectory(dir.resolve("data"));
    Files.writeString(data.resolve("root-owned"), "r\n");
    Path users = Files.writeString(data.resolve("user-owned"), "u\n");
    Files.setAttribute(users, "unix:uid", 1000);
    Files.setAttribute(users, "unix:gid", 1000);
    ExitResult r;
    try (Isolate isolate = Os.sh("stat -c %u /etc/passwd /data/root-owned /data/user-owned; echo more >> "
        + "/data/root-owned && echo made > /data/new && mkdir /data/dir && echo written").mount(
            Mount.readWrite(data, "/data")).build()) {
      r = isolate.run();
    }
    assertTrue(r.isSuccess(), () -> r + "\n" + r.stderrText());
    assertEquals("0\n0\n1000\nwritten\n", r.stdoutText());
    assertEquals("r\nmore\n", Files.readString(data.resolve("root-owned")));
    for (String made : new String[] {"new", "dir"}) {
      assertEquals(0, Files.getAttribute(data.resolve(made), "unix:uid", LinkOption.NOFOLLOW_LINKS), made);
      assertEquals(0, Files.getAttribute(data.resolve(made), "unix:gid", LinkOption.NOFOLLOW_LINKS), made);
    }
  }

  @Test
  void aCommandJoiningTheIsolateIsItsRootTooAndNotTheHosts() throws Exception {
    try (Isolate isolate = Os.sh("sleep 30").build()) {
      io.isolate.Execution run = isolate.start();
      ExitResult r = isolate.exec("/bin/sh", "-c", "id -u; echo copied > /tmp/from-exec; stat -c %u /tmp/from-exec");
      assertTrue(r.isSuccess(), () -> r + "\n" + r.stderrText());
      assertEquals("0\n0\n", r.stdoutText());
      run.kill();
    }
  }

  /**
   * A host directory whose mount propagation is shared (as / is on systemd hosts) given read-write, with a tmpfs
   * mounted below it in the isolate: the tmpfs stays the isolate's, it never appears on the host.
   */
  @Test
  void mountsTheIsolateMakesBelowABindingNeverReachTheHost() throws Exception {
    Path shared = Files.createDirectory(dir.resolve("shared"));
    Files.createDirectory(shared.resolve("sub"));
    assertEquals(0, command("mount", "--bind", shared.toString(), shared.toString()));
    try {
      assertEquals(0, command("mount", "--make-shared", shared.toString()));
      try (Isolate isolate = Os.sh("sleep 30").mount(Mount.readWrite(shared, "/data"))
          .mount(Mount.tmpfs("/data/sub", 1 << 20)).build()) {
        io.isolate.Execution run = isolate.start();
        assertTrue(isolate.exec("/bin/sh", "-c", "grep -q ' /data/sub ' /proc/self/mountinfo").isSuccess(),
            "the tmpfs is mounted in the isolate");
        String host = Files.readString(Path.of("/proc/self/mountinfo"));
        assertTrue(!host.contains(" " + shared.resolve("sub") + " "), "the isolate's tmpfs reached the host:\n" + host);
        run.kill();
      }
    } finally {
      command("umount", "-l", shared.toString());
    }
  }

  private static int command(String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).inheritIO().start();
    return p.waitFor();
  }

  private static long waitForProcess(String cmdline) throws Exception {
    for (int i = 0; i < 200; i++) {
      try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
        for (Path p : (Iterable<Path>) procs::iterator) {
          String name = p.getFileName().toString();
          if (!name.chars().allMatch(Character::isDigit)) {
            continue;
          }
          try {
            String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8);
            if (cmd.startsWith(cmdline)) {
              return Long.parseLong(name);
            }
          } catch (IOException gone) {
            // ended meanwhile
          }
        }
      }
      Thread.sleep(50);
    }
    fail("no process with command line " + cmdline.replace('\0', ' '));
    return -1;
  }

  private static Map<String, String> status(long pid) throws IOException {
    Map<String, String> fields = new java.util.HashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }
}
