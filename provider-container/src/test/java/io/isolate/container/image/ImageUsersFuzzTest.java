package io.isolate.container.image;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isolate.RunAs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzz target: an image's {@code User} and the passwd and group files its layers hold, as a hostile image would write
 * them. The input is three documents separated by a line {@code ----}: the User, {@code /etc/passwd} and
 * {@code /etc/group}. Resolving must give ids within the isolate's range or fail with an {@link IOException} that
 * says why; nothing else may escape. {@code mvn verify} replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class ImageUsersFuzzTest {
  private static Path layer;

  @FuzzTest
  void resolvesOrRefusesAnyUser(byte[] input) throws IOException {
    if (layer == null) {
      layer = Files.createTempDirectory("isolate-users-fuzz");
      Files.createDirectories(layer.resolve("etc"));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          LayerUnpacker.deleteRecursively(layer);
        } catch (IOException ignored) {
          // a temporary directory
        }
      }));
    }
    String[] docs = new String(input, StandardCharsets.UTF_8).split("\n----\n", 3);
    Files.writeString(layer.resolve("etc/passwd"), docs.length > 1 ? docs[1] : "");
    Files.writeString(layer.resolve("etc/group"), docs.length > 2 ? docs[2] : "");
    try {
      RunAs user = ImageUsers.resolve(docs[0], List.of(layer));
      assertTrue(user.uid() >= 0 && user.uid() <= RunAs.MAX_ID && user.gid() >= 0 && user.gid() <= RunAs.MAX_ID);
    } catch (IOException refused) {
      assertNotNull(refused.getMessage());
    }
  }
}
