package io.isolate.container;

import static org.junit.jupiter.api.Assertions.fail;

import io.isolate.Availability;
import io.isolate.Isolates;
import io.isolate.IsolationLevel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Missing prerequisites: a test skips with the reason, except on CI (CI=true), where a missing prerequisite is a
 * failure, so that a CI host that silently lost a capability cannot pass.
 */
public final class Prerequisites {
  private Prerequisites() {}

  public static boolean onCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  public static void require(boolean present, String what) {
    if (present) {
      return;
    }
    if (onCi()) {
      fail("prerequisite missing on CI: " + what);
    }
    Assumptions.abort("prerequisite missing: " + what);
  }

  /** The OS level works here (the provider's own probe). */
  public static void requireOsLevel() {
    Availability a = Isolates.availability(IsolationLevel.OS);
    require(a.isAvailable(), "OS level: " + a.explanation());
  }

  /** The OS level with cgroup limits. */
  public static void requireCgroups() {
    requireOsLevel();
    Availability a = Isolates.availability(IsolationLevel.OS);
    require(!a.explanation().contains("no limits:"), "cgroups: " + a.explanation());
  }

  public static void requireFile(String path, String why) {
    require(Files.exists(Path.of(path)), path + " (" + why + ")");
  }
}
