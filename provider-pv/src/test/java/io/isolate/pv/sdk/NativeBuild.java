package io.isolate.pv.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Test fixture: where the module's sources and the built SDK are, and running gcc and the programs it makes. */
final class NativeBuild {
  private NativeBuild() {}

  /** The provider-pv module directory. */
  static Path module() {
    return Path.of(System.getProperty("isolate.pv.sources", ".")).toAbsolutePath();
  }

  /** The guest SDK's sources (the repository's guest-sdk/, shared with PROCESS). */
  static Path sdkSources() {
    return module().resolve("../guest-sdk").normalize();
  }

  /** The guest SDK built by Maven (target/classes/META-INF/isolate/guest-sdk). */
  static Path sdk() {
    String p = System.getProperty("isolate.pv.guestSdk");
    return p != null ? Path.of(p) : module().resolve("target/classes/META-INF/isolate/guest-sdk");
  }

  record Result(int exitCode, String stdout, String stderr) {}

  /** Runs {@code command} in {@code dir} with extra environment, feeding {@code stdin}; fails after 60 s. */
  static Result run(Path dir, Map<String, String> env, byte[] stdin, List<String> command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    Thread feeder = new Thread(() -> {
      try (var in = p.getOutputStream()) {
        in.write(stdin);
      } catch (IOException ignored) {
        // the process may exit without reading
      }
    });
    feeder.start();
    var out = p.getInputStream().readAllBytes();
    var err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    feeder.join();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  /** Runs gcc with {@code args} in {@code dir}, asserting success. */
  static void gcc(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("gcc"));
    cmd.addAll(List.of(args));
    Result r = run(dir, Map.of(), new byte[0], cmd);
    assertEquals(0, r.exitCode(), () -> "gcc " + String.join(" ", args) + " failed:\n" + r.stderr());
  }

  static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }
}
