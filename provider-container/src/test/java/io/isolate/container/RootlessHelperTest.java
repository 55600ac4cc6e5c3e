package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.IsolateSpec;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.seccomp.SeccompProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rootless mode at the helper level: the same policy, run as an unprivileged user (nobody) with uid 0 inside
 * mapped to that user outside. The test JVM is root, so it drops to nobody with setpriv for the helper only.
 */
class RootlessHelperTest {
  @Test
  void anUnprivilegedUserGetsTheSameIsolateWithItsUidMappedToRoot(@TempDir Path tmp) throws Exception {
    Prerequisites.requireOsLevel();
    Prerequisites.require(HelperBinary.currentUid() == 0, "root (to switch to nobody)");
    Prerequisites.requireFile("/usr/bin/setpriv", "util-linux setpriv");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path helper = Files.copy(HelperBinary.path(), tmp.resolve("isolate-helper"));
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("r-xr-xr-x"));
    IsolateSpec spec = Os.sh("id -u; cat /proc/self/uid_map; touch /usr/x 2>/dev/null || echo ro").spec();
    List<String> argv = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
        "--clear-groups"));
    argv.addAll(new SandboxPolicy(HostLayout.REAL).command(spec, new SandboxPolicy.Inputs(helper,
        tmp.resolve("status"), Path.of("/tmp"), 65534, 65534, List.of(), List.of(), List.of(),
        SeccompProfile.of(List.of(), List.of()).toBpf(), tmp.resolve("e"), tmp.resolve("d"), List.of())).argv());
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertEquals("0\n0 65534 1\nro\n", out.replaceAll(" +", " ").replaceAll("\n ", "\n").trim().replaceFirst("^", "")
        + "\n", out);
  }
}
