package io.isolate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A workload pinned to its SHA-256 runs exactly the bytes that were checked. */
class WorkloadPinningTest {
  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  @Test
  void aMatchingDigestKeepsTheCheckedBytes(@TempDir Path dir) throws Exception {
    byte[] module = {0, 'a', 's', 'm', 1, 0, 0, 0};
    Path file = Files.write(dir.resolve("plugin.wasm"), module);
    Workload pinned = Workload.wasm(file).requireSha256("sha256:" + sha256(module).toUpperCase());
    Files.write(file, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 9}); // changed after the check
    assertArrayEquals(module, pinned.content(), "what runs is what was checked");
  }

  @Test
  void anotherDigestIsRefusedSayingBoth(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("plugin.wasm"), new byte[] {1, 2, 3});
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> Workload.wasm(file).requireSha256("00".repeat(32)));
    assertTrue(e.getMessage().contains(sha256(new byte[] {1, 2, 3})) && e.getMessage().contains("00".repeat(32)),
        e.getMessage());
    assertThrows(InvalidSpecException.class, () -> Workload.wasm(file).requireSha256("not-a-digest"));
    assertThrows(InvalidSpecException.class, () -> Workload.command("/bin/true").requireSha256("00".repeat(32)));
  }
}
