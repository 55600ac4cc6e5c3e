package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Mount;
import io.isolate.Rootfs;
import io.isolate.Workload;
import io.isolate.container.helper.HelperBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The helper built here starts on an older distribution: a Debian 11 root file system (glibc 2.31, where a helper
 * linked dynamically against this host's glibc would not start), made by Debian's {@code debootstrap} from the host's
 * Debian mirror, is given to an OS isolate, and the helper from the jar starts in it, where a program linked
 * against this host's glibc does not. Needs root (debootstrap) and the mirror; on CI both are there, and their
 * absence fails.
 */
class OlderDistributionTest {
  private static final Path ROOT = Path.of("target", "debian11-root").toAbsolutePath();

  @BeforeAll
  static void debian11() throws IOException, InterruptedException {
    Prerequisites.requireOsLevel();
    if (Files.isRegularFile(ROOT.resolve("etc/debian_version"))) {
      return; // made by an earlier run of this build
    }
    Prerequisites.require("root".equals(System.getProperty("user.name")), "root, to run debootstrap");
    Prerequisites.requireFile("/usr/sbin/debootstrap", "apt-get install debootstrap");
    Path partial = ROOT.resolveSibling("debian11-root.partial");
    new ProcessBuilder("rm", "-rf", partial.toString()).inheritIO().start().waitFor();
    Process p = new ProcessBuilder("/usr/sbin/debootstrap", "--variant=minbase", "bullseye", partial.toString(),
        mirror()).redirectErrorStream(true).redirectOutput(ROOT.resolveSibling("debootstrap.log").toFile()).start();
    boolean done = p.waitFor(10, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly();
    }
    Prerequisites.require(done && p.exitValue() == 0, "debootstrap of Debian 11 from " + mirror()
        + " (see " + ROOT.resolveSibling("debootstrap.log") + ")");
    Files.move(partial, ROOT);
  }

  /** The host's own Debian mirror (deb822 or one-line sources), else Debian's. */
  private static String mirror() throws IOException {
    for (Path sources : List.of(Path.of("/etc/apt/sources.list.d/debian.sources"), Path.of("/etc/apt/sources.list"))) {
      if (!Files.isRegularFile(sources)) {
        continue;
      }
      for (String line : Files.readAllLines(sources)) {
        String l = line.trim();
        if (l.startsWith("URIs:") && !l.contains("security")) {
          return l.substring(5).trim().split("\\s+")[0];
        }
        if (l.startsWith("deb ") && !l.contains("security")) {
          return l.split("\\s+")[1];
        }
      }
    }
    return "http://deb.debian.org/debian";
  }

  private static ExitResult run(String... command) {
    Path helper = HelperBinary.path();
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(Rootfs.directory(ROOT))
        .mount(Mount.readOnly(helper.getParent(), "/opt/isolate"))
        .workload(Workload.command(command[0], java.util.Arrays.copyOfRange(command, 1, command.length)))
        .build()) {
      return isolate.run();
    }
  }

  @Test
  void theRootIsDebian11() {
    ExitResult r = run("/bin/cat", "/etc/debian_version");
    assertTrue(r.isSuccess(), r::toString);
    assertTrue(r.stdoutText().startsWith("11."), r.stdoutText());
    ExitResult libc = run("/bin/sh", "-c", "ls /lib/x86_64-linux-gnu/libc-2.*.so");
    assertTrue(libc.stdoutText().contains("libc-2.31.so"), libc::stdoutText);
  }

  @Test
  void aProgramLinkedAgainstThisHostsGlibcDoesNotStartThere() {
    // the contrast that gives the next test its meaning: Debian 12's dynamic /bin/true needs a newer glibc
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(Rootfs.directory(ROOT))
        .mount(Mount.readOnly(Path.of("/usr/bin"), "/opt/host-bin"))
        .workload(Workload.command("/opt/host-bin/true")).build()) {
      ExitResult r = isolate.run();
      assertTrue(r.exitCode() != 0 && r.stderrText().contains("GLIBC_2."), () -> r + "\n" + r.stderrText());
    }
  }

  @Test
  void theHelperFromTheJarStartsThere() {
    String helper = "/opt/isolate/" + HelperBinary.path().getFileName();
    // Inside an isolate the helper has no capabilities left, so it stops where it first needs one (dropping
    // supplementary groups) with its own message: its C library and start-up ran, with no loader error.
    ExitResult r = run(helper, "--status", "/tmp/status", "--", "/bin/true");
    assertEquals(125, r.exitCode(), () -> r + "\n" + r.stderrText());
    assertTrue(r.stderrText().startsWith("isolate-helper: isolate-helper.c:") && !r.stderrText().contains("GLIBC"),
        r::stderrText);
  }
}
