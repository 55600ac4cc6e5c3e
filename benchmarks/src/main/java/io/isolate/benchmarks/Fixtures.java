package io.isolate.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Benchmark inputs shipped in this module's resources (copies of the providers' test fixtures). */
final class Fixtures {
  private Fixtures() {}

  /** {@code fixtures/NAME} of this module's resources. */
  static byte[] resource(String name) {
    return providerResource("fixtures/" + name);
  }

  /** A resource on the class path by its path (a provider jar's, such as the guest SDK's example plugins). */
  static byte[] providerResource(String path) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/" + path)) {
      if (in == null) {
        throw new IllegalStateException("/" + path + " is missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A static executable of {@code src/main/c/vm} (built by {@code build-elf.sh} into /fixtures/vm/), copied to an
   * executable temporary file so that the HARDWARE level and the native baseline run the very same file.
   */
  static Path executable(String name) {
    return toFile(resource("vm/" + name), name);
  }

  /** A PARAVIRT guest of {@code src/main/c/pv} (built by {@code build-guests.sh} into /fixtures/pv/), as a temporary file. */
  static Path guest(String name) {
    return toFile(resource("pv/" + name + ".elf"), name + ".elf");
  }

  /** A PARAVIRT example guest image shipped in provider-pv's jar (echo, sha256, stream), as a temporary file. */
  static Path guestExample(String name) {
    String path = "/META-INF/isolate/guest-sdk/examples/" + name + ".elf";
    try (InputStream in = Fixtures.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("guest image " + path + " is missing from provider-pv's jar");
      }
      return toFile(in.readAllBytes(), name + ".elf");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path toFile(byte[] content, String name) {
    try {
      Path dir = Files.createTempDirectory("isolate-bench");
      Path file = dir.resolve(name);
      Files.write(file, content);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
      file.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code command} natively as a child process, output discarded, and waits for it; fails unless it exits 0. */
  static int runNatively(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      int code = p.waitFor();
      if (code != 0) {
        throw new IllegalStateException(String.join(" ", command) + " exited " + code);
      }
      return code;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
