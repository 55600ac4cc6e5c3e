package io.isolate.container.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.container.Prerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and broken images are rejected with the culprit named, nothing is written outside the cache, and a
 * rejected layer never enters the cache. Good layers are unpacked once.
 */
class BadImagesTest {
  @TempDir Path tmp;
  Path cache;
  Path outside;
  ImageStore store;

  @BeforeEach
  void setUp() throws IOException {
    cache = tmp.resolve("cache");
    outside = Files.createDirectories(tmp.resolve("outside"));
    store = new ImageStore(cache);
  }

  private IOException rejected(Consumer<TestImages.Layer> layer) throws IOException {
    Path image = TestImages.ociLayout(tmp.resolve("img-" + System.nanoTime()), "latest",
        List.of(TestImages.gz(layer)));
    return assertThrows(IOException.class, () -> store.layers(image, null));
  }

  private void assertNothingEscapedAndCacheIsClean() throws IOException {
    try (Stream<Path> s = Files.list(outside)) {
      assertEquals(0, s.count(), "nothing written outside the cache");
    }
    if (Files.isDirectory(cache.resolve("layers"))) {
      try (Stream<Path> s = Files.list(cache.resolve("layers"))) {
        assertEquals(0, s.count(), "no rejected layer in the cache");
      }
    }
    if (Files.isDirectory(cache.resolve("tmp"))) {
      try (Stream<Path> s = Files.list(cache.resolve("tmp"))) {
        assertEquals(0, s.count(), "no scratch left behind");
      }
    }
  }

  @Test
  void rejectsDotDotPaths() throws IOException {
    IOException e = rejected(l -> l.file("../../outside/evil", "x"));
    assertTrue(e.getMessage().contains("'..'"), e.getMessage());
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void rejectsAbsolutePaths() throws IOException {
    IOException e = rejected(l -> l.file(outside.resolve("evil").toString(), "x"));
    assertTrue(e.getMessage().contains("absolute path"), e.getMessage());
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void rejectsWritingThroughASymlinkPointingOut() throws IOException {
    IOException e = rejected(l -> l.symlink("link", outside.toString()).file("link/evil", "x"));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void keepsASymlinkPointingOutAsALinkResolvedOnlyInsideTheIsolate() throws IOException {
    Path image = TestImages.ociLayout(tmp.resolve("img"), "latest",
        List.of(TestImages.gz(l -> l.symlink("etc-link", "/etc").symlink("up", "../../../../outside"))));
    Path layer = store.layers(image, null).get(0);
    assertTrue(Files.isSymbolicLink(layer.resolve("etc-link")));
    assertEquals("/etc", Files.readSymbolicLink(layer.resolve("etc-link")).toString());
    assertNothingEscapedOnly();
  }

  private void assertNothingEscapedOnly() throws IOException {
    try (Stream<Path> s = Files.list(outside)) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void rejectsHardLinksToOutside() throws IOException {
    Files.writeString(outside.resolve("secret"), "s");
    IOException e = rejected(l -> l.hardlink("stolen", "../outside/secret"));
    assertTrue(e.getMessage().contains("'..'"), e.getMessage());
    e = rejected(l -> l.hardlink("stolen", outside.resolve("secret").toString()));
    assertTrue(e.getMessage().contains("absolute"), e.getMessage());
    e = rejected(l -> l.symlink("dir", outside.toString()).hardlink("stolen", "dir/secret"));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    Files.delete(outside.resolve("secret"));
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void rejectsACorruptLayer() throws IOException {
    byte[] good = TestImages.gz(l -> l.file("a", "a".repeat(10_000)));
    byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
    Path image = TestImages.ociLayout(tmp.resolve("img"), "latest", List.of(truncated));
    IOException e = assertThrows(IOException.class, () -> store.layers(image, null));
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void rejectsALayerWhoseContentDoesNotMatchItsDigest() throws IOException {
    Path image = TestImages.ociLayout(tmp.resolve("img"), "latest",
        List.of(TestImages.gz(l -> l.file("a", "original"))));
    byte[] other = TestImages.gz(l -> l.file("a", "tampered"));
    try (Stream<Path> s = Files.list(image.resolve("blobs/sha256"))) {
      for (Path blob : s.toList()) {
        if (Files.size(blob) > 20 && !Files.readString(blob, java.nio.charset.StandardCharsets.ISO_8859_1)
            .startsWith("{")) {
          Files.write(blob, other);
        }
      }
    }
    IOException e = assertThrows(IOException.class, () -> store.layers(image, null));
    assertTrue(e.getMessage().contains("hashes to"), e.getMessage());
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void rejectsALayerThatUnpacksToMoreThanTheCap() throws IOException {
    System.setProperty(LayerUnpacker.MAX_BYTES_PROPERTY, "100000");
    try {
      IOException e = rejected(l -> l.file("zeros", new byte[200_000], 0644));
      assertTrue(e.getMessage().contains("maxLayerBytes=100000"), e.getMessage());
    } finally {
      System.clearProperty(LayerUnpacker.MAX_BYTES_PROPERTY);
    }
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void rejectsATarballThatIsNotAnImage() throws IOException {
    Path bogus = Files.write(tmp.resolve("bogus.tar"), TestImages.tar(l -> l.file("hello", "x")));
    IOException e = assertThrows(IOException.class, () -> store.layers(bogus, null));
    assertTrue(e.getMessage().contains("neither an OCI image layout"), e.getMessage());
  }

  @Test
  void unpacksEachLayerOnceAndSharesItBetweenImages() throws IOException {
    byte[] base = TestImages.gz(l -> l.file("base", "b"));
    Path one = TestImages.ociLayout(tmp.resolve("one"), "latest", List.of(base));
    Path two = TestImages.ociLayout(tmp.resolve("two"), "latest",
        List.of(base, TestImages.gz(l -> l.file("top", "t"))));
    Path baseDir = store.layers(one, null).get(0);
    long stamp = Files.getLastModifiedTime(baseDir).toMillis();
    List<Path> layers = store.layers(two, null);
    assertEquals(2, layers.size());
    assertEquals(baseDir, layers.get(1), "top-most first, the base layer shared");
    assertEquals(stamp, Files.getLastModifiedTime(baseDir).toMillis());
    assertEquals(baseDir.getFileName().toString(), TestImages.sha256(base).substring(0, ImageStore.NAME_HEX));
  }

  @Test
  void whiteoutsBecomeOverlayWhiteoutsAndOpaqueDirectories() throws IOException {
    Path image = TestImages.ociLayout(tmp.resolve("img"), "latest",
        List.of(TestImages.gz(l -> l.dir("etc").file("etc/.wh.doomed", "").dir("opaque")
            .file("opaque/.wh..wh..opq", "").file("opaque/new", "n"))));
    Path layer = store.layers(image, null).get(0);
    Path whiteout = layer.resolve("etc/doomed");
    int mode = (Integer) Files.getAttribute(whiteout, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    assertEquals(0020000, mode & 0170000, "a character device");
    assertEquals(0L, ((Number) Files.getAttribute(whiteout, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).longValue());
    var view = Files.getFileAttributeView(layer.resolve("opaque"),
        java.nio.file.attribute.UserDefinedFileAttributeView.class);
    assertTrue(view.list().contains("overlay.opaque"), view.list().toString());
    assertFalse(Files.exists(layer.resolve("opaque/.wh..wh..opq")));
  }
}
