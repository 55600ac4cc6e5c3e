package io.isolate.container.image;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target: image metadata as a hostile image would write it. The input is up to five documents separated by a
 * line {@code ----}: the top one ({@code index.json} of an OCI layout, or {@code manifest.json} of a docker archive
 * when the input starts with {@code D}), a manifest, a configuration, a nested index and a layer. The harness
 * stores the others as blobs named by their digests and replaces placeholders in every document with those
 * digests ({@code <M>}, {@code <C>}, {@code <I>}, {@code <L>} as {@code sha256:HEX}; {@code <CH>} and {@code <LH>}
 * as bare hex), so that mutations reach past the digest checks into the parsing of indexes, manifests and
 * configurations. Preparing the image must succeed or fail with an {@link IOException} that says why; nothing else
 * may escape. {@code mvn verify} replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class ImageJsonFuzzTest {
  private static final String SEPARATOR = "\n----\n";
  private static ImageStore store;
  private static Path images;
  private static int count;

  @FuzzTest
  void preparesOrRefusesAnyMetadata(byte[] input) throws IOException {
    if (store == null) {
      Path dir = Files.createTempDirectory("isolate-image-fuzz");
      store = new ImageStore(dir.resolve("cache"));
      images = Files.createDirectories(dir.resolve("images"));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
    }
    String text = new String(input, StandardCharsets.UTF_8);
    boolean docker = text.startsWith("D");
    String[] docs = (docker ? text.substring(1) : text).split(SEPARATOR, 5);
    String top = docs[0];
    String manifest = docs.length > 1 ? docs[1] : "";
    String config = docs.length > 2 ? docs[2] : "";
    String nested = docs.length > 3 ? docs[3] : "";
    byte[] layer = docs.length > 4 ? docs[4].getBytes(StandardCharsets.ISO_8859_1) : new byte[1024]; // an empty tar

    String layerHex = ImageArchive.sha256(layer);
    config = config.replace("<LH>", layerHex).replace("<L>", "sha256:" + layerHex);
    String configHex = sha256(config);
    manifest = fill(manifest, layerHex, configHex, null, null);
    String manifestHex = sha256(manifest);
    nested = fill(nested, layerHex, configHex, manifestHex, null);
    String nestedHex = sha256(nested);
    top = fill(top, layerHex, configHex, manifestHex, nestedHex);

    Path image = Files.createDirectory(images.resolve("image-" + count++));
    try {
      Path blobs = Files.createDirectories(image.resolve("blobs/sha256"));
      Files.write(blobs.resolve(layerHex), layer);
      Files.writeString(blobs.resolve(configHex), config);
      Files.writeString(blobs.resolve(manifestHex), manifest);
      Files.writeString(blobs.resolve(nestedHex), nested);
      if (docker) {
        Files.writeString(image.resolve(configHex + ".json"), config);
        Files.writeString(image.resolve("manifest.json"), top);
      } else {
        Files.writeString(image.resolve("index.json"), top);
        Files.writeString(image.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
      }
      try {
        ImageStore.PreparedImage prepared = store.prepare(image, (count & 1) == 0 ? null : "latest");
        assertNotNull(prepared.layers());
        assertNotNull(prepared.env());
      } catch (IOException refused) {
        assertFalse(refused.getMessage() == null || refused.getMessage().isBlank(), "a refusal says why: " + refused);
      }
    } finally {
      delete(image);
    }
  }

  private static String fill(String doc, String layer, String config, String manifest, String nested) {
    doc = doc.replace("<LH>", layer).replace("<L>", "sha256:" + layer).replace("<CH>", config)
        .replace("<C>", "sha256:" + config);
    if (manifest != null) {
      doc = doc.replace("<M>", "sha256:" + manifest);
    }
    if (nested != null) {
      doc = doc.replace("<I>", "sha256:" + nested);
    }
    return doc;
  }

  private static String sha256(String doc) {
    return ImageArchive.sha256(doc.getBytes(StandardCharsets.UTF_8));
  }

  private static void delete(Path p) {
    try {
      if (Files.exists(p)) {
        LayerUnpacker.deleteRecursively(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
