package io.isolate.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's quick start runs and gives the right digest. */
class QuickStartTest {

  @Test
  void hashesItsInputInAWasmSandbox(@TempDir Path dir) throws Exception {
    Path module = dir.resolve("sha256sum.wasm");
    try (InputStream in = QuickStartTest.class.getResourceAsStream("/io/isolate/examples/sha256sum.wasm")) {
      Files.write(module, in.readAllBytes());
    }
    byte[] input = "quick start".getBytes(StandardCharsets.UTF_8);
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(input));
    assertEquals(expected, QuickStart.sha256(module, input));
  }
}
