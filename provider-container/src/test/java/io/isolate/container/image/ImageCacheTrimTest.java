package io.isolate.container.image;

import io.isolate.container.ContainerSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layer cache stays under its size: least recently used layers go first, never one an isolate uses. */
class ImageCacheTrimTest {
  private static final int LAYER_BYTES = 100_000;
  /** What the cache counts for such a layer: its file's bytes and 512 for its one entry. */
  private static final long LAYER_SIZE = LAYER_BYTES + 512;
  @TempDir Path tmp;
  ImageStore store;

  @BeforeEach
  void setUp() {
    store = new ImageStore(tmp.resolve("cache"));
  }

  @AfterEach
  void clearProperty() {
    System.clearProperty(ContainerSettings.IMAGE_CACHE_MAX_BYTES);
  }

  /** An image of one layer holding {@value #LAYER_BYTES} random (incompressible, distinct) bytes. */
  private Path image(String name) throws IOException {
    return TestImages.ociLayout(tmp.resolve(name), "latest", List.of(layer(name)));
  }

  /** The one layer of image {@code name} (tar entries carry the time they were made: keep the bytes to reuse them). */
  private static byte[] layer(String name) {
    byte[] content = new byte[LAYER_BYTES];
    new Random(name.hashCode()).nextBytes(content);
    return TestImages.gz(l -> l.file("data", content, 0644));
  }

  private Path layerOf(Path image) throws IOException {
    return store.prepare(image, null).layers().get(0);
  }

  private static void lastUsed(Path layer, long millis) throws IOException {
    Files.setLastModifiedTime(LayerLeases.usedFile(layer), FileTime.fromMillis(millis));
    Files.setLastModifiedTime(layer, FileTime.fromMillis(millis));
  }

  @Test
  void trimsTheLeastRecentlyUsedLayersButNeverALeasedOne() throws Exception {
    Path a = layerOf(image("a"));
    Path b = layerOf(image("b"));
    Path c = layerOf(image("c"));
    lastUsed(a, 1_000_000);
    lastUsed(b, 2_000_000);
    lastUsed(c, 3_000_000);
    AutoCloseable leaseOfB = store.lease(List.of(b));
    long removed = store.trim(LAYER_BYTES * 3 / 2, Set.of());
    assertEquals(2L * LAYER_SIZE, removed);
    assertFalse(Files.exists(a), "oldest, unused: removed");
    assertTrue(Files.isDirectory(b), "leased: kept although older than c");
    assertFalse(Files.exists(c), "unused: removed until the cache fits");
    leaseOfB.close();
    lastUsed(b, 2_000_000); // leasing marked it used just now
    assertEquals(LAYER_SIZE, store.trim(0, Set.of()));
    assertFalse(Files.exists(b));
    try (var left = Files.list(tmp.resolve("cache/tmp"))) {
      assertEquals(0, left.count(), "nothing left half-deleted");
    }
    Path again = layerOf(image("a"));
    assertTrue(Files.isRegularFile(again.resolve("data")), "a trimmed layer is unpacked again when needed");
  }

  @Test
  void preparingAnImageTrimsOthersToTheConfiguredSize() throws Exception {
    System.setProperty(ContainerSettings.IMAGE_CACHE_MAX_BYTES, Long.toString(LAYER_BYTES * 3 / 2));
    Path a = layerOf(image("first"));
    lastUsed(a, 1_000_000);
    Path b = layerOf(image("second"));
    assertFalse(Files.exists(a), "over the size: the older layer went");
    assertTrue(Files.isDirectory(b), "the image just prepared stays");
  }

  @Test
  void aLayerPreparedAMomentAgoIsNotTrimmedBeforeItIsLeased() throws Exception {
    Path layer = layerOf(image("fresh"));
    assertEquals(0, store.trim(0, Set.of()));
    assertTrue(Files.isDirectory(layer));
  }

  /**
   * The lease's lock is a POSIX record lock, which any close of a descriptor of the file drops: it must still be held,
   * as seen from another process, after the layer was leased twice and marked used.
   */
  @Test
  void anotherProcessSeesTheLeaseUntilItIsClosed() throws Exception {
    Path layer = layerOf(image("shared"));
    AutoCloseable first = store.lease(List.of(layer));
    AutoCloseable second = store.lease(List.of(layer));
    assertEquals("held", probeFromAnotherJvm(LayerLeases.lockFile(layer)));
    first.close();
    assertEquals("held", probeFromAnotherJvm(LayerLeases.lockFile(layer)));
    second.close();
    assertEquals("free", probeFromAnotherJvm(LayerLeases.lockFile(layer)));
  }

  private static String probeFromAnotherJvm(Path lockFile) throws Exception {
    String javaCommand = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(javaCommand, "-cp", System.getProperty("java.class.path"), LockProbe.class.getName(),
        lockFile.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  /** Run in another JVM: tries the exclusive lock a trim would take, prints "free" or "held". */
  public static final class LockProbe {
    public static void main(String[] args) throws IOException {
      try (FileChannel c = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        System.out.println(c.tryLock() == null ? "held" : "free");
      }
    }
  }

  @Test
  void aLeaseOnATrimmedLayerIsRefusedSoTheCallerPreparesAgain() throws Exception {
    Path image = image("gone");
    Path layer = layerOf(image);
    lastUsed(layer, 1_000_000);
    store.trim(0, Set.of());
    IOException e = assertThrows(IOException.class, () -> store.lease(List.of(layer)));
    assertTrue(e.getMessage().contains("removed from the cache"), e.getMessage());
    try (AutoCloseable lease = store.lease(store.prepare(image, null).layers())) {
      assertTrue(Files.isDirectory(layer));
    }
  }

  @Test
  void aLayerRemovedBehindThisJvmsBackIsUnpackedAgain() throws Exception {
    byte[] bytes = layer("removed");
    Path layer = layerOf(TestImages.ociLayout(tmp.resolve("removed"), "latest", List.of(bytes)));
    // another image with the same layer, so that this JVM's memory of the image itself does not answer
    Path twin = TestImages.ociLayout(tmp.resolve("twin"), "latest", List.of(bytes));
    LayerUnpacker.deleteRecursively(layer); // as a user clearing the cache, or another JVM's trim, would
    assertEquals(layer, store.prepare(twin, null).layers().get(0));
    assertTrue(Files.isDirectory(layer), "unpacked again, not reported missing");
  }
}
