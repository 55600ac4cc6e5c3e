package io.isolate.container.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isolate.container.HostFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Fuzz target: any bytes as an image layer (a tar, plain or compressed with gzip or zstd), unpacked by the real
 * unpacker (the helper in its own namespaces) into a directory beside planted victims. Each layer is either unpacked within its caps or
 * refused with an {@link IOException} naming why; the victims (a file, a directory and a file in it, next to the
 * layer directory, which the layer's links and names aim at) never change, nothing appears beside the layer
 * directory, and no other exception escapes. {@code mvn verify} replays the committed corpus (the layer attacks of
 * {@code HostileLayersTest} among it); {@code .ci/fuzz} fuzzes it.
 */
class LayerFuzzTest {
  private static final long CAP = 4L << 20;
  private static Path sandbox;
  private static Map<String, String> before;
  private static int layers;

  @FuzzTest
  void unpacksInsideTheLayerOrRefuses(byte[] layer) throws IOException {
    if (sandbox == null) {
      sandbox = Files.createTempDirectory("isolate-layer-fuzz");
      Files.writeString(sandbox.resolve("victim"), "root:x:0:0:root:/root:/bin/sh\n");
      Files.createDirectories(sandbox.resolve("victimdir"));
      Files.writeString(sandbox.resolve("victimdir/inside"), "keep\n");
      before = HostFiles.snapshot(sandbox);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(sandbox)));
    }
    Path root = Files.createDirectory(sandbox.resolve("layer-" + layers++));
    try {
      long bytes = LayerUnpacker.unpack(new ByteArrayInputStream(layer), root,
          new LayerUnpacker.Cap(CAP, "the fuzz cap", System.nanoTime() + 10_000_000_000L));
      assertTrue(bytes >= 0 && bytes <= CAP, "unpacked " + bytes + " bytes under a cap of " + CAP);
    } catch (IOException refused) {
      assertFalse(refused.getMessage() == null || refused.getMessage().isBlank(), "a refusal says why: " + refused);
    } finally {
      delete(root);
    }
    assertEquals(before, HostFiles.snapshot(sandbox), "a file beside the layer changed");
  }

  private static void delete(Path p) {
    try {
      if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        LayerUnpacker.deleteRecursively(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
