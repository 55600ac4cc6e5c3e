package io.isolate.container.registry;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Rootfs;
import io.isolate.Workload;

/**
 * A JVM of its own for {@code RegistryPullTest}: the first start of an image (pulled into the shared layer cache),
 * printing what {@code cat /marker} prints in it. Exits 0 when the run succeeded.
 */
public final class FirstStartProbe {
  private FirstStartProbe() {}

  public static void main(String[] args) {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(Rootfs.image(args[0]))
        .workload(Workload.command("/bin/sh", "-c", "cat /marker")).build()) {
      ExitResult r = isolate.run();
      System.out.print(r.stdoutText());
      System.err.print(r.isSuccess() ? "" : r + "\n" + r.stderrText());
      System.exit(r.isSuccess() ? 0 : 1);
    }
  }
}
