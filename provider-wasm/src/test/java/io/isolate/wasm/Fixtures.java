package io.isolate.wasm;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Workload;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;

/** The Wasm fixtures built from src/test/c (see rebuild.sh there), and builders preset for them. */
final class Fixtures {
  private Fixtures() {}

  /** The bytes of {@code src/test/resources/wasm/<name>.wasm}. */
  static byte[] wasm(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/wasm/" + name + ".wasm")) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name + ".wasm; run src/test/c/rebuild.sh");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A PROCESS builder for fixture {@code name} with a 10 s wall-time limit. */
  static Isolate.Builder process(String name, String... args) {
    return Isolate.builder()
        .level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(wasm(name), args))
        .limits(Limits.builder().wallTime(Duration.ofSeconds(10)).build());
  }
}
