package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.container.helper.HelperBinary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OS level's escape suite ({@link EscapeSuite}), as the JVM's user (root here) and as an unprivileged user. */
class OsEscapeSuiteTest {
  @Test
  void noProbeEscapesAsTheJvmsUser(@TempDir Path work) throws IOException {
    Prerequisites.requireOsLevel();
    List<String> failures = new EscapeSuite(work).run();
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  @Test
  void noProbeEscapesAsAnUnprivilegedUser(@TempDir Path tmp) throws Exception {
    Prerequisites.requireOsLevel();
    Prerequisites.require(HelperBinary.currentUid() == 0, "root (to run a JVM as nobody)");
    Prerequisites.requireFile("/usr/bin/setpriv", "util-linux setpriv");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    // the class path, copied where nobody may read it (the build's own directories are root's)
    Path lib = Files.createDirectories(tmp.resolve("lib"));
    List<String> classPath = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(":")) {
      Path source = Path.of(entry);
      if (!Files.exists(source)) {
        continue;
      }
      Path copy = lib.resolve(n++ + "-" + source.getFileName());
      copyTree(source, copy);
      classPath.add(copy.toString());
    }
    Path work = Files.createDirectories(tmp.resolve("work"));
    Path jvmTmp = Files.createDirectories(tmp.resolve("jvm-tmp")); // the helper is extracted here, not among victims
    for (Path p : List.of(work, jvmTmp)) {
      Files.setAttribute(p, "unix:uid", 65534);
      Files.setAttribute(p, "unix:gid", 65534);
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        java.toString(), "-Djava.io.tmpdir=" + jvmTmp, "-Duser.home=" + jvmTmp, "-cp", String.join(":", classPath),
        EscapeSuite.class.getName(), work.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("escape probes held: "), out);
  }

  private static void copyTree(Path source, Path target) throws IOException {
    try (Stream<Path> all = Files.walk(source)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path t = target.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString(Files.isDirectory(t) ? "rwxr-xr-x"
            : "rw-r--r--"));
      }
    }
  }
}
