package io.isolate.container.image;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.container.ContainerSettings;
import io.isolate.container.Prerequisites;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The caps of image preparation hold where a review found them open: while the helper works on one slow
 * operation, for entries that unpack to nothing, for layers of many empty files, and for a docker archive's layer
 * hashed after decompression.
 */
class LayerCapsTest {
  @TempDir Path tmp;

  @BeforeEach
  void requireHelper() {
    Prerequisites.requireOsLevel();
  }

  private static LayerUnpacker.Cap cap(long bytes, long deadlineNanos) {
    return new LayerUnpacker.Cap(bytes, "the test cap", deadlineNanos);
  }

  @Test
  void theHelperIsStoppedAtTheDeadlineWhateverItIsDoing() throws Exception {
    Path root = Files.createDirectory(tmp.resolve("layer"));
    try (LayerWriter out = LayerWriter.start(root, System.nanoTime() + 300_000_000L)) {
      Thread.sleep(800); // the helper waits for its next operation: the deadline passes meanwhile
      IOException e = assertThrows(IOException.class, out::finish);
      assertTrue(e.getMessage().contains("took longer than -D" + ContainerSettings.IMAGE_PREPARE_SECONDS),
          e.getMessage());
    }
  }

  @Test
  void entriesThatUnpackToNothingStillCountAgainstTheDeadline() throws IOException {
    ByteArrayOutputStream layer = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(layer)) {
      for (int i = 0; i < 1000; i++) {
        TarArchiveEntry dot = new TarArchiveEntry("./");
        tar.putArchiveEntry(dot);
        tar.closeArchiveEntry();
      }
    }
    Path root = Files.createDirectory(tmp.resolve("layer"));
    IOException e = assertThrows(IOException.class, () -> LayerUnpacker.unpack(
        new ByteArrayInputStream(layer.toByteArray()), root, cap(1L << 30, System.nanoTime() - 1)));
    assertTrue(e.getMessage().contains("took longer"), e.getMessage());
  }

  @Test
  void aLayerOfEmptyFilesIsNotFree() throws IOException {
    byte[] layer = TestImages.tar(l -> {
      for (int i = 0; i < 1000; i++) {
        l.file("empty-" + i, new byte[0], 0644);
      }
    });
    Path root = Files.createDirectory(tmp.resolve("layer"));
    long size = LayerUnpacker.unpack(new ByteArrayInputStream(layer), root, cap(1L << 30, Long.MAX_VALUE / 2));
    assertTrue(size >= 1000 * 512L, "recorded as " + size + " bytes");
  }

  @Test
  void aDockerLayerThatDecompressesPastTheCapIsRefusedWhileItIsHashed() throws IOException {
    byte[] tar = TestImages.tar(l -> l.file("zeros", new byte[4 << 20], 0644));
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(tar);
    }
    Path archive = TestImages.dockerSave(tmp.resolve("image.tar"), "bomb:latest", List.of(gz.toByteArray()),
        List.of(TestImages.sha256(tar)));
    System.setProperty(ContainerSettings.MAX_LAYER_BYTES, "100000");
    try {
      IOException e = assertThrows(IOException.class, () -> new ImageStore(tmp.resolve("cache")).prepare(archive,
          null));
      assertTrue(e.getMessage().contains("holds more than"), e.getMessage());
    } finally {
      System.clearProperty(ContainerSettings.MAX_LAYER_BYTES);
    }
  }
}
