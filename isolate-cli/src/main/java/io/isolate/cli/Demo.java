package io.isolate.cli;

import io.isolate.DoctorReport;
import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.Isolates;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;

/**
 * {@code isolate demo}: the same workload, a SHA-256 of its stdin, at every level this host supports, with the
 * start-to-exit time (median of several runs, small input) and the hashing throughput (larger input) of each.
 * Each digest is checked against the JVM's own.
 */
final class Demo {
  private static final int RUNS = 7;
  private static final int SMALL = 64;
  private static final int LARGE = 8 << 20;
  private static final String WASM_RESOURCE = "/io/isolate/cli/demo/sha256sum.wasm";
  /** The same program as a static x86-64 executable, built with the command (src/main/c/build.sh). */
  static final String ELF_RESOURCE = "/io/isolate/cli/demo/sha256sum.elf";
  private static final String PV_RESOURCE = "/META-INF/isolate/guest-sdk/examples/sha256.elf";

  private Demo() {}

  static int run(PrintStream out, PrintStream err) {
    DoctorReport doctor = Isolates.doctor();
    out.println("Isolate demo: SHA-256 of stdin at every isolation level this host supports");
    out.println();
    out.printf("%-9s %-40s %14s %14s  %s%n", "LEVEL", "WORKLOAD", "START->EXIT", "THROUGHPUT", "RESULT");
    byte[] small = randomBytes(SMALL, 1);
    byte[] large = randomBytes(LARGE, 2);
    int failures = 0;
    for (IsolationLevel level : IsolationLevel.values()) {
      DoctorReport.LevelStatus status = doctor.level(level);
      if (!status.isAvailable()) {
        out.printf("%-9s %-40s %14s %14s  unavailable: %s%n", level, "-", "-", "-", status.explanation());
        continue;
      }
      Optional<Workload> workload = workloadFor(level);
      if (workload.isEmpty()) {
        out.printf("%-9s %-40s %14s %14s  no demo workload for this level on this host%n", level, "-", "-", "-");
        continue;
      }
      // Where the OS level runs only without limits (no usable cgroup, as for most users who are not root), the
      // demo runs it so and says that limits are off, rather than failing it.
      boolean limitsOff = level == IsolationLevel.OS && status.explanation().contains("no limits:");
      try {
        double[] millis = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
          long t0 = System.nanoTime();
          check(hash(level, workload.get(), small, limitsOff), small);
          millis[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(millis);
        long t0 = System.nanoTime();
        check(hash(level, workload.get(), large, limitsOff), large);
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.printf("%-9s %-40s %11.2f ms %9.1f MiB/s  ok%s%n", level, describe(workload.get()), millis[RUNS / 2],
            LARGE / (1024.0 * 1024.0) / seconds, limitsOff ? ", limits NOT enforced (no usable cgroup for this user; "
                + "`isolate doctor` says why and how to get one; `isolate run` needs --accept-unenforced-limits here)"
                : level == IsolationLevel.OS ? howLimitsAreEnforced(status.explanation()) : "");
      } catch (RuntimeException e) {
        failures++;
        out.printf("%-9s %-40s %14s %14s  FAILED: %s%n", level, describe(workload.get()), "-", "-", e.getMessage());
      }
    }
    out.println();
    out.printf("start->exit: median of %d runs of create + run + close on %d bytes; throughput: %s in one run%n",
        RUNS, SMALL, SizeUnit.format(LARGE));
    return failures == 0 ? 0 : 1;
  }

  /**
   * From the OS level's doctor line, how its limits are enforced ("limits enforced as root", or through which
   * delegated cgroup), for the demo's line; empty when the line does not say.
   */
  static String howLimitsAreEnforced(String explanation) {
    int at = explanation.indexOf("limits enforced ");
    int end = at < 0 ? -1 : explanation.indexOf(": ", at);
    return end < 0 ? "" : ", " + explanation.substring(at, end);
  }

  private static Optional<Workload> workloadFor(IsolationLevel level) {
    return switch (level) {
      case PROCESS -> resource(WASM_RESOURCE).map(module -> Workload.wasm(module).withName("sha256sum.wasm"));
      case OS -> Files.isExecutable(Path.of("/usr/bin/sha256sum"))
          ? Optional.of(Workload.command("/usr/bin/sha256sum")) : Optional.empty();
      case HARDWARE -> resource(ELF_RESOURCE).map(program -> Workload.elf(program, "sha256sum.elf"));
      case PARAVIRT -> resource(PV_RESOURCE).map(image -> Workload.guestImage(image, "sha256.elf"));
    };
  }

  private static Optional<byte[]> resource(String name) {
    try (InputStream in = Demo.class.getResourceAsStream(name)) {
      return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static String describe(Workload w) {
    String text = w.kind() == Workload.Kind.COMMAND ? w.name() : w.path().map(Path::toString).orElse(w.name());
    return w.args().isEmpty() ? text : text + " " + String.join(" ", w.args());
  }

  /**
   * Hashes {@code input} in a fresh isolate: as a program reading stdin, or, at the PARAVIRT level, as a call
   * to the guest's {@code sha256} handler. Returns the hex digest.
   */
  private static String hash(IsolationLevel level, Workload workload, byte[] input, boolean limitsOff) {
    Isolate.Builder builder = Isolate.builder().level(level).workload(workload)
        .limits(Limits.builder().memory(64, SizeUnit.MEGABYTES).wallTime(Duration.ofSeconds(30)).build())
        .acceptUnenforcedLimits(limitsOff);
    if (level != IsolationLevel.PARAVIRT) {
      builder.stdin(Input.of(input));
    }
    try (Isolate isolate = builder.build()) {
      if (level == IsolationLevel.PARAVIRT) {
        return HexFormat.of().formatHex(isolate.call("sha256", input));
      }
      ExitResult result = isolate.run();
      if (!result.isSuccess()) {
        throw new IllegalStateException(result.termination() + " " + result.exitCode() + " " + result.detail()
            + " " + result.stderrText().strip());
      }
      return result.stdoutText().strip().split("\\s+")[0];
    }
  }

  private static void check(String digest, byte[] input) {
    String expected = sha256(input);
    if (!digest.equals(expected)) {
      throw new IllegalStateException("digest " + digest + " != " + expected);
    }
  }

  private static String sha256(byte[] input) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(input));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}
