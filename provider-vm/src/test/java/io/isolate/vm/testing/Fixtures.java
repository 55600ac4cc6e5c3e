package io.isolate.vm.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The guest programs of the tests, built from {@code src/test/c} on first use with {@code gcc -static} or
 * {@code musl-gcc -static} into {@code target/fixtures}, and rebuilt when their source is newer.
 */
public final class Fixtures {
  /** The two static toolchains. */
  public enum Libc {
    GLIBC("gcc", "-static"),
    MUSL("musl-gcc", "-static"),
    /** glibc, static position-independent executable (ET_DYN without an interpreter). */
    GLIBC_STATIC_PIE("gcc", "-static-pie");

    final String compiler;
    final String linkage;

    Libc(String compiler, String linkage) {
      this.compiler = compiler;
      this.linkage = linkage;
    }
  }

  private static final Path SOURCES = Path.of("src/test/c");
  private static final Path OUT = Path.of("target/fixtures");
  private static final ConcurrentHashMap<String, Path> BUILT = new ConcurrentHashMap<>();

  private Fixtures() {}

  /** The static executable built from {@code src/test/c/<name>.c} with {@code libc}. */
  public static Path program(String name, Libc libc) {
    Prerequisites.requireTool(libc.compiler);
    return BUILT.computeIfAbsent(name + "-" + libc, k -> build(name, libc));
  }

  public static byte[] bytes(String name, Libc libc) {
    try {
      return Files.readAllBytes(program(name, libc));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized Path build(String name, Libc libc) {
    Path source = SOURCES.resolve(name + ".c");
    Path out = OUT.resolve(name + "-" + libc.name().toLowerCase());
    try {
      Files.createDirectories(OUT);
      FileTime srcTime = Files.getLastModifiedTime(source);
      if (Files.exists(out) && Files.getLastModifiedTime(out).compareTo(srcTime) > 0) {
        return out;
      }
      List<String> cmd = new ArrayList<>(List.of(libc.compiler, libc.linkage, "-O2", "-o", out.toString(),
          source.toString()));
      run(cmd);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The static executable built from {@code src/test/rust/<name>.rs} with {@code rustc -C
   * target-feature=+crt-static} (static-PIE, glibc). Without rustc the Rust tests are skipped, except on CI
   * (CI=true), which installs the Debian package rustc and fails when it is missing.
   */
  public static Path rustProgram(String name) {
    boolean found = false;
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      found |= Files.isExecutable(Path.of(dir, "rustc"));
    }
    Prerequisites.require(found, "rustc is not installed (on Debian: apt-get install rustc)");
    return BUILT.computeIfAbsent(name + "-rust", k -> {
      Path out = OUT.resolve(name + "-rust");
      try {
        Files.createDirectories(OUT);
        Path source = Path.of("src/test/rust", name + ".rs");
        if (!Files.exists(out) || Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(source)) < 0) {
          run(List.of("rustc", "-O", "-C", "target-feature=+crt-static", "-o", out.toString(), source.toString()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out;
    });
  }

  /** A dynamically linked program, for the loader's refusal. */
  public static Path dynamicProgram() {
    Prerequisites.requireTool("gcc");
    return BUILT.computeIfAbsent("hello-dynamic", k -> {
      Path out = OUT.resolve("hello-dynamic");
      try {
        Files.createDirectories(OUT);
        run(List.of("gcc", "-O2", "-o", out.toString(), SOURCES.resolve("hello.c").toString()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out;
    });
  }

  /** Runs a host command, returning its stdout; fails on a non-zero exit. */
  public static byte[] run(List<String> cmd) {
    return run(cmd, null);
  }

  public static byte[] run(List<String> cmd, byte[] stdin) {
    try {
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
      Thread feeder = new Thread(() -> {
        try (var in = p.getOutputStream()) {
          if (stdin != null) {
            in.write(stdin);
          }
        } catch (IOException e) {
          // the program did not read all of its input (echo, seq, head): fine
        }
      });
      feeder.start();
      byte[] out = p.getInputStream().readAllBytes();
      feeder.join();
      byte[] err = p.getErrorStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(cmd + " failed: " + new String(err, StandardCharsets.UTF_8));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
