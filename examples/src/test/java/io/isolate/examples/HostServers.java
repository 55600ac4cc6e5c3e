package io.isolate.examples;

import static org.junit.jupiter.api.Assertions.fail;

import io.isolate.RunAs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Servers installed on the host (Debian's postgresql and redis-server) and the host users they run as: the fixture
 * examples run them from the host's read-only root, as those users. A missing server skips, or fails when CI=true.
 */
final class HostServers {
  private HostServers() {}

  static void require(boolean present, String what) {
    if (present) {
      return;
    }
    if ("true".equals(System.getenv("CI"))) {
      fail("prerequisite missing on CI: " + what);
    }
    Assumptions.abort("prerequisite missing: " + what);
  }

  /** The newest {@code /usr/lib/postgresql/<version>/bin}. */
  static Path postgresBin() {
    Optional<Path> bin = Optional.empty();
    try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      bin = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres")))
          .max(Path::compareTo);
    } catch (IOException missing) {
      // not installed
    }
    require(bin.isPresent(), "PostgreSQL server (Debian package postgresql)");
    return bin.orElseThrow();
  }

  /** The ids of host user {@code name} in the host's /etc/passwd, which the isolate sees too. */
  static RunAs user(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
        String[] f = line.split(":", -1);
        if (f.length > 3 && f[0].equals(name)) {
          return new RunAs(Integer.parseInt(f[2]), Integer.parseInt(f[3]));
        }
      }
    } catch (IOException e) {
      // no passwd
    }
    require(false, "host user " + name + " (made by its Debian package)");
    throw new AssertionError();
  }
}
