package io.isolate.container.image;

import io.isolate.container.ContainerSettings;
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
    System.setProperty(ContainerSettings.MAX_LAYER_BYTES, "100000");
    try {
      IOException e = rejected(l -> l.file("zeros", new byte[200_000], 0644));
      assertTrue(e.getMessage().contains("maxLayerBytes=100000"), e.getMessage());
    } finally {
      System.clearProperty(ContainerSettings.MAX_LAYER_BYTES);
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

  @Test
  void aSparseEntryCountsItsRealSizeAgainstTheCap() throws Exception {
    // the campaign's case: a GNU sparse file of 2 GiB in a layer of about a hundred bytes; PAX sparse formats at
    // 1 GiB (the tar library refuses PAX sparse sizes of 2 GiB and more by itself)
    System.setProperty(ContainerSettings.MAX_LAYER_BYTES, Long.toString(64L << 20));
    try {
      for (var format : java.util.Map.of("gnu", 2L << 30, "posix", 1L << 30).entrySet()) {
        Path dir = Files.createDirectories(tmp.resolve("sparse-" + format.getKey()));
        try (var f = new java.io.RandomAccessFile(dir.resolve("big").toFile(), "rw")) {
          f.setLength(format.getValue()); // all holes
        }
        Path layer = tmp.resolve(format.getKey() + ".tgz");
        Process tar = new ProcessBuilder("tar", "--sparse", "--format=" + format.getKey(), "-czf", layer.toString(),
            "-C", dir.toString(), "big").redirectErrorStream(true).start();
        assertEquals(0, tar.waitFor(), new String(tar.getInputStream().readAllBytes()));
        Files.delete(dir.resolve("big"));
        assertTrue(Files.size(layer) < 4096, "a small layer: " + Files.size(layer));
        Path image = TestImages.ociLayout(tmp.resolve("img-" + format.getKey()), "latest",
            List.of(Files.readAllBytes(layer)));
        IOException e = assertThrows(IOException.class, () -> store.layers(image, null));
        assertTrue(e.getMessage().contains("maxLayerBytes=67108864")
            && e.getMessage().contains(Long.toString(format.getValue())), e.getMessage());
      }
    } finally {
      System.clearProperty(ContainerSettings.MAX_LAYER_BYTES);
    }
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void aWholeImageIsCappedNotOnlyEachLayer() throws IOException {
    System.setProperty(ContainerSettings.MAX_IMAGE_BYTES, "300000");
    try {
      Path image = TestImages.ociLayout(tmp.resolve("img"), "latest", List.of(
          TestImages.gz(l -> l.file("one", new byte[200_000], 0644)),
          TestImages.gz(l -> l.file("two", new byte[200_000], 0644))));
      IOException e = assertThrows(IOException.class, () -> store.layers(image, null));
      assertTrue(e.getMessage().contains("maxImageBytes=300000"), e.getMessage());
    } finally {
      System.clearProperty(ContainerSettings.MAX_IMAGE_BYTES);
    }
  }

  /** The blob of the image's configuration (the only blob holding "architecture"). */
  private static Path configBlob(Path image) throws IOException {
    try (Stream<Path> s = Files.list(image.resolve("blobs/sha256"))) {
      for (Path blob : s.toList()) {
        if (Files.readString(blob, java.nio.charset.StandardCharsets.ISO_8859_1).contains("\"architecture\"")) {
          return blob;
        }
      }
    }
    throw new AssertionError("no config blob");
  }

  @Test
  void aConfigurationWhoseContentDoesNotMatchItsDigestIsRefused() throws IOException {
    Path image = TestImages.ociLayout(tmp.resolve("img"), "latest", List.of(TestImages.gz(l -> l.file("a", "a"))),
        TestImages.object("Cmd", TestImages.array("/bin/true")));
    Path config = configBlob(image);
    Files.writeString(config, Files.readString(config).replace("/bin/true", "/bin/evil"));
    IOException e = assertThrows(IOException.class, () -> store.prepare(image, null));
    assertTrue(e.getMessage().contains("hashes to"), e.getMessage());
    Files.delete(config);
    e = assertThrows(IOException.class, () -> store.prepare(image, null));
    assertTrue(e.getMessage().contains("has no blobs/sha256/"), e.getMessage());
  }

  @Test
  void aDockerArchiveLayerMustMatchItsDiffId() throws IOException {
    byte[] good = TestImages.tar(l -> l.file("a", "a"));
    Path archive = TestImages.dockerSave(tmp.resolve("img.tar"), "test:1", List.of(good));
    assertEquals(1, store.layers(archive, "test:1").size());
    byte[] tampered = TestImages.tar(l -> l.file("a", "b"));
    Path hostile = tmp.resolve("hostile.tar");
    try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(Files.newInputStream(archive));
        var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(hostile))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        byte[] content = in.readAllBytes();
        if (e.getName().endsWith("layer.tar")) {
          content = tampered; // same length, other bytes
          e.setSize(content.length);
        }
        out.putArchiveEntry(e);
        out.write(content);
        out.closeArchiveEntry();
      }
    }
    IOException e = assertThrows(IOException.class, () -> new ImageStore(tmp.resolve("cache2")).layers(hostile, "test:1"));
    assertTrue(e.getMessage().contains("hashes to"), e.getMessage());
  }

  @Test
  void garbageIsNotAnEmptyLayer() throws IOException {
    for (byte[] garbage : List.of(new byte[] {1, 2, 3}, new byte[511], "not a tar".repeat(200).getBytes())) {
      Path image = TestImages.ociLayout(tmp.resolve("img-" + System.nanoTime()), "latest", List.of(garbage));
      IOException e = assertThrows(IOException.class, () -> store.layers(image, null));
      assertTrue(e.getMessage().contains("corrupt or hostile"), e.getMessage());
    }
    Path empty = TestImages.ociLayout(tmp.resolve("empty"), "latest", List.of(new byte[1024]));
    assertEquals(1, store.layers(empty, null).size(), "two zero blocks are an empty layer");
    assertNothingEscapedOnly();
  }

  @Test
  void configurationFieldsOfTheWrongTypeAreNamed() throws IOException {
    Path image = TestImages.ociLayout(tmp.resolve("img"), "latest", List.of(TestImages.gz(l -> l.file("a", "a"))),
        TestImages.object("Env", "PATH=/bin", "WorkingDir", 7));
    IOException e = assertThrows(IOException.class, () -> store.prepare(image, null));
    assertTrue(e.getMessage().contains("'Env' is a string, not a list"), e.getMessage());
    assertFalse(e.getMessage().contains("ClassCastException"), e.getMessage());
  }

  @Test
  void preparingAnImageIsBoundedInTime() throws IOException {
    System.setProperty(ContainerSettings.IMAGE_PREPARE_SECONDS, "0");
    try {
      IOException e = rejected(l -> {
        for (int i = 0; i < 2000; i++) {
          l.file("f" + i, "x");
        }
      });
      assertTrue(e.getMessage().contains("-Disolate.container.imagePrepareSeconds"), e.getMessage());
    } finally {
      System.clearProperty(ContainerSettings.IMAGE_PREPARE_SECONDS);
    }
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void hugeExtendedHeadersAreRefusedBeforeTheTarLibraryHoldsThemInMemory() throws IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (var gz = new org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream(bytes);
        var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(gz)) {
      var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("f");
      e.addPaxHeader("comment", "A".repeat(20 << 20)); // 20 MiB of one byte: some 20 KiB gzipped
      e.setSize(1);
      tar.putArchiveEntry(e);
      tar.write('x');
      tar.closeArchiveEntry();
    }
    assertTrue(bytes.size() < 100_000, "a small layer: " + bytes.size());
    Path image = TestImages.ociLayout(tmp.resolve("img"), "latest", List.of(bytes.toByteArray()));
    IOException e = assertThrows(IOException.class, () -> store.layers(image, null));
    assertTrue(e.getMessage().contains("headers between two entries exceed 1048576 bytes"), e.getMessage());
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void aDirectoryDeclaringContentDoesNotWidenTheHeaderBound() throws IOException {
    // a directory entry declaring 64 MiB of content (which the tar library does not read), then a 20 MiB extended
    // header: the bytes the library reads after a directory are headers, held in memory, and keep their 1 MiB bound
    java.io.ByteArrayOutputStream tarBytes = new java.io.ByteArrayOutputStream();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tarBytes)) {
      var dir = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("d");
      dir.setSize(0);
      tar.putArchiveEntry(dir);
      tar.closeArchiveEntry();
      var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("f");
      e.addPaxHeader("comment", "A".repeat(20 << 20));
      e.setSize(1);
      tar.putArchiveEntry(e);
      tar.write('x');
      tar.closeArchiveEntry();
    }
    byte[] tar = tarBytes.toByteArray();
    tar[156] = '5';
    byte[] size = String.format("%011o\0", 64L << 20).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(size, 0, tar, 124, 12);
    java.util.Arrays.fill(tar, 148, 156, (byte) ' ');
    int sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += tar[i] & 0xff;
    }
    System.arraycopy(String.format("%06o\0 ", sum).getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, tar,
        148, 8);
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (var out = new org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream(gz)) {
      out.write(tar);
    }
    Path image = TestImages.ociLayout(tmp.resolve("img"), "latest", List.of(gz.toByteArray()));
    IOException e = assertThrows(IOException.class, () -> store.layers(image, null));
    assertTrue(e.getMessage().contains("headers between two entries exceed 1048576 bytes"), e.getMessage());
    assertNothingEscapedAndCacheIsClean();
  }

  @Test
  void aSparseMemberOfAnImageTarballCountsItsRealSize() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("sparse-member"));
    try (var f = new java.io.RandomAccessFile(dir.resolve("blob").toFile(), "rw")) {
      f.setLength(1L << 30);
    }
    Path tarball = tmp.resolve("image.tar");
    Process tar = new ProcessBuilder("tar", "--sparse", "-cf", tarball.toString(), "-C", dir.toString(), "blob")
        .redirectErrorStream(true).start();
    assertEquals(0, tar.waitFor(), new String(tar.getInputStream().readAllBytes()));
    Files.delete(dir.resolve("blob"));
    System.setProperty(ContainerSettings.MAX_IMAGE_BYTES, Long.toString(64L << 20));
    try {
      IOException e = assertThrows(IOException.class, () -> store.layers(tarball, null));
      assertTrue(e.getMessage().contains("more than " + ((64L << 20) + (64L << 20)) + " bytes"), e.getMessage());
    } finally {
      System.clearProperty(ContainerSettings.MAX_IMAGE_BYTES);
    }
    assertNothingEscapedAndCacheIsClean();
  }
}
