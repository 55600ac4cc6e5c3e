package io.isolate.vm.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.isolate.Availability;
import io.isolate.vm.KvmIsolationProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * What the tests need from the host: a usable {@code /dev/kvm} and C compilers. On CI ({@code CI=true}) a missing
 * prerequisite fails the run loudly; elsewhere the test is skipped with the reason.
 *
 * <p>One exception, for KVM only: a CI host whose kernel states that it cannot host KVM guests at all (it is itself
 * a PVM guest; {@code .ci/run} finds the kernel's own message and passes it in {@value #HOST_WITHOUT_KVM}). Then
 * the KVM tests are skipped with that message, and {@code .ci/run} prints how many, before and after the tests. A
 * host that merely lost {@code /dev/kvm} still fails.
 */
public final class Prerequisites {
  private static volatile Availability kvm;

  /** Environment variable: the kernel's statement that this CI host cannot run KVM guests (see above). */
  public static final String HOST_WITHOUT_KVM = "ISOLATE_CI_HOST_WITHOUT_KVM";

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
    requireKvm(a.isAvailable(), "KVM is unavailable: " + a.explanation());
  }

  /**
   * Skips (or, on CI, fails) unless {@code usable}; on a CI host that states it cannot run KVM guests, skips with
   * that statement.
   */
  public static void requireKvm(boolean usable, String reason) {
    String hostWithoutKvm = System.getenv(HOST_WITHOUT_KVM);
    if (!usable && onCi() && hostWithoutKvm != null && !hostWithoutKvm.isBlank()) {
      Assumptions.abort("this CI host cannot run KVM guests (kernel: " + hostWithoutKvm + "): " + reason);
    }
    require(usable, reason);
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
