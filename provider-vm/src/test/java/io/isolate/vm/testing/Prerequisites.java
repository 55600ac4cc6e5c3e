package io.isolate.vm.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.isolate.spi.Availability;
import io.isolate.vm.KvmIsolationProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * What the tests need from the host: a usable {@code /dev/kvm} and C compilers. On CI ({@code CI=true}) a missing
 * prerequisite fails the run loudly; elsewhere the test is skipped with the reason.
 */
public final class Prerequisites {
  private static volatile Availability kvm;

  private Prerequisites() {}

  public static boolean onCi() {
    return "true".equals(System.getenv("CI"));
  }

  /** Skips (or, on CI, fails) unless KVM works here. */
  public static void requireKvm() {
    Availability a = kvm;
    if (a == null) {
      a = new KvmIsolationProvider().probe();
      kvm = a;
    }
    require(a.isAvailable(), "KVM is unavailable: " + a.explanation());
  }

  /** Skips (or, on CI, fails) unless {@code tool} is on the PATH. */
  public static void requireTool(String tool) {
    boolean found = false;
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        found = true;
        break;
      }
    }
    require(found, tool + " is not installed (on Debian: apt-get install gcc musl-tools busybox-static)");
  }

  public static void require(boolean condition, String reason) {
    if (condition) {
      return;
    }
    if (onCi()) {
      fail("CI=true and a prerequisite is missing: " + reason);
    }
    Assumptions.abort(reason);
  }
}
