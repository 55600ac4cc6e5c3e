package io.isolate.container;

import io.isolate.Isolate;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.helper.HelperLauncher;
import io.isolate.container.helper.HelperStatus;
import io.isolate.container.seccomp.SeccompProfile;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Finds out for real whether this host can run isolates: runs {@code /bin/true} through the helper. */
final class Probe {
  private Probe() {}

  /** Null when {@code /bin/true} ran in a full isolate; otherwise what is missing, in words a user can act on. */
  static String runTrue(Path helper, Path runRoot) {
    Path status = null;
    try {
      Files.createDirectories(runRoot);
      status = Files.createTempFile(runRoot, "probe-", ".status");
      IsolateSpec spec = Isolate.builder().level(IsolationLevel.OS).workload(Workload.command("/bin/true")).spec();
      List<String> argv = new SandboxPolicy(HostLayout.REAL).command(spec, new SandboxPolicy.Inputs(helper, status,
          Path.of("/tmp"), HelperBinary.currentUid(), HelperBinary.currentGid(), List.of(), List.of(), List.of(),
          SeccompProfile.of(List.of(), List.of()).toBpf(), runRoot.resolve(ContainerProvider.EMPTY_FILE),
          runRoot.resolve(ContainerProvider.EMPTY_DIR), List.of())).argv();
      ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true);
      pb.environment().clear();
      Process p = HelperLauncher.start(pb);
      byte[] output = p.getInputStream().readAllBytes();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "the helper did not finish /bin/true within 10 s";
      }
      HelperStatus s = HelperStatus.read(status);
      if (p.exitValue() == 0 && s.exitCode() == 0) {
        return null;
      }
      String why = s.setupError() != null ? s.setupError()
          : s.execError() != null ? "cannot execute " + s.execError()
          : "exit code " + p.exitValue() + ": " + new String(output, StandardCharsets.UTF_8).trim();
      return "the helper could not run /bin/true in an isolate: " + why + explain(why);
    } catch (IOException e) {
      String hint = e.getMessage() != null && e.getMessage().contains("Permission denied")
          ? " (is " + helper.getParent() + " mounted noexec? set -D" + ContainerSettings.HELPER_DIR + ")" : "";
      return "cannot run the helper " + helper + ": " + e.getMessage() + hint;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while probing";
    } finally {
      if (status != null) {
        try {
          Files.deleteIfExists(status);
        } catch (IOException ignored) {
          // a stale probe file is harmless
        }
      }
    }
  }

  /** Null when overlayfs works inside an isolate (needed for images and some mounts); otherwise why not. */
  static String overlay(Path helper, Path runRoot) {
    try {
      Files.createDirectories(runRoot);
      List<String> argv = List.of(helper.toString(), "--unshare-user", "--unshare-pid", "--uid-map",
          "0 " + HelperBinary.currentUid() + " 1", "--gid-map", "0 " + HelperBinary.currentGid() + " 1",
          "--overlay-src", "/usr", "--tmp-overlay", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib",
          "/lib", "--symlink", "usr/lib64", "/lib64", "--", "/usr/bin/true");
      ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.environment().clear();
      Process p = HelperLauncher.start(pb);
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "the overlayfs probe did not finish within 10 s";
      }
      return p.exitValue() == 0 ? null : out + explain(out);
    } catch (IOException e) {
      return e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** Turns a failing system call into the host setting behind it. */
  static String explain(String why) {
    StringBuilder hints = new StringBuilder();
    if (why.contains("clone(")) {
      String max = sysctl("/proc/sys/user/max_user_namespaces");
      String unpriv = sysctl("/proc/sys/kernel/unprivileged_userns_clone");
      String apparmor = sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
      if ("0".equals(max)) {
        hints.append("; user namespaces are disabled: sysctl user.max_user_namespaces=0");
      }
      if ("0".equals(unpriv)) {
        hints.append("; unprivileged user namespaces disabled by sysctl kernel.unprivileged_userns_clone=0");
      }
      if ("1".equals(apparmor)) {
        hints.append("; AppArmor restricts unprivileged user namespaces"
            + " (sysctl kernel.apparmor_restrict_unprivileged_userns=1)");
      }
      if (hints.length() == 0) {
        hints.append("; the kernel refused to create namespaces (running inside a container without"
            + " CAP_SYS_ADMIN, or a seccomp policy that forbids clone with namespace flags?)");
      }
    } else if (why.contains("overlay")) {
      hints.append("; overlayfs is unavailable or refuses user namespaces (kernel 5.11+ needed)");
    } else if (why.contains("mount proc")) {
      hints.append("; /proc cannot be mounted: the host's /proc is partly masked (nested container?)");
    }
    return hints.toString();
  }

  private static String sysctl(String file) {
    try {
      return Files.readString(Path.of(file)).trim();
    } catch (IOException e) {
      return null;
    }
  }
}
