package io.isolate.container.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Rootfs;
import io.isolate.Termination;
import io.isolate.Workload;
import io.isolate.container.Prerequisites;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers compressed with zstd ({@code application/vnd.oci.image.layer.v1.tar+zstd}): run like gzip layers, and
 * hostile ones (corrupt, truncated, asking for a huge window, unpacking past the cap) are refused with nothing cached.
 */
class ZstdLayersTest {
  @TempDir Path tmp;
  Path cache;
  ImageStore store;

  @BeforeEach
  void setUp() {
    Prerequisites.requireOsLevel();
    cache = tmp.resolve("cache");
    store = new ImageStore(cache);
  }

  @Test
  void anImageOfZstdLayersRuns() throws IOException {
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
    byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
    byte[] base = TestImages.zstd(l -> {
      l.dir("bin").file("bin/busybox", busybox, 0755).symlink("bin/sh", "busybox").symlink("bin/cat", "busybox");
      l.dir("proc").dir("dev").dir("tmp").dir("etc").file("etc/doomed", "x\n");
    });
    // a zstd layer over another, with a whiteout, beside a gzip one: the image's layers need not agree
    byte[] top = TestImages.zstd(l -> l.file("marker", "zstd layers\n").dir("etc").file("etc/.wh.doomed", ""));
    byte[] gz = TestImages.gz(l -> l.file("second", "and gzip\n"));
    assertEquals("application/vnd.oci.image.layer.v1.tar+zstd", TestImages.layerMediaType(base));
    Rootfs image = Rootfs.ociImage(TestImages.ociLayout(tmp.resolve("layout"), "1", List.of(base, top, gz)), "1");
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(image)
        .workload(Workload.command("/bin/sh", "-c", "cat /marker /second; test -e /etc/doomed || echo gone"))
        .build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertEquals("zstd layers\nand gzip\ngone\n", r.stdoutText(), r::toString);
    }
  }

  @Test
  void aTruncatedOrCorruptZstdLayerIsRefused() throws IOException {
    byte[] good = TestImages.zstd(l -> l.file("a", "some text ".repeat(20_000)));
    byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
    IOException e = assertThrows(IOException.class, () -> store.layers(
        TestImages.ociLayout(tmp.resolve("truncated"), "1", List.of(truncated)), null));
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    byte[] corrupt = good.clone();
    for (int i = 20; i < corrupt.length - 8; i += 7) {
      corrupt[i] ^= 0x5a;
    }
    e = assertThrows(IOException.class, () -> store.layers(
        TestImages.ociLayout(tmp.resolve("corrupt"), "1", List.of(corrupt)), null));
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    assertCacheHoldsNoLayer();
  }

  /**
   * A zstd frame written by hand: a header declaring a window of 2^{@code windowLog} bytes, then the tar in one raw
   * block, so that the window is what the test says whatever a compressor would choose.
   */
  private static byte[] rawFrame(int windowLog, byte[] content) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.writeBytes(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd});
    frame.write(0x00); // no content size, not single-segment, no checksum, no dictionary: the window descriptor follows
    frame.write((windowLog - 10) << 3); // exponent, mantissa 0
    int header = 1 | (content.length << 3); // the last block, raw (type 0), its size
    frame.writeBytes(new byte[] {(byte) header, (byte) (header >> 8), (byte) (header >> 16)});
    frame.writeBytes(content);
    return frame.toByteArray();
  }

  @Test
  void aFrameAskingForMoreThanTheLargestWindowIsRefused() throws IOException {
    byte[] tar = TestImages.tar(l -> l.file("small", "within the window\n"));
    // the largest window accepted decodes
    List<Path> layers = store.layers(TestImages.ociLayout(tmp.resolve("window-27"), "1",
        List.of(rawFrame(ZstdLayers.MAX_WINDOW_LOG, tar))), null);
    assertEquals("within the window\n", Files.readString(layers.get(0).resolve("small")));
    // a 2 GiB window: a decoder that honoured it could be made to allocate that much for each layer
    IOException e = assertThrows(IOException.class, () -> store.layers(
        TestImages.ociLayout(tmp.resolve("window-31"), "1", List.of(rawFrame(31, tar))), null));
    assertTrue(e.getMessage().contains("corrupt or hostile"), e.getMessage());
    assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("memory")
        || e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("window"), e.getMessage());
  }

  @Test
  void aSmallZstdLayerThatUnpacksPastTheCapIsRefused() throws IOException {
    System.setProperty(io.isolate.container.ContainerSettings.MAX_LAYER_BYTES, "1000000");
    try {
      // 64 MiB of zeros compress to a few kilobytes
      byte[] bomb = TestImages.zstd(l -> l.file("zeros", new byte[64 << 20], 0644));
      assertTrue(bomb.length < 64 << 10, "the bomb is small: " + bomb.length);
      IOException e = assertThrows(IOException.class, () -> store.layers(
          TestImages.ociLayout(tmp.resolve("bomb"), "1", List.of(bomb)), null));
      assertTrue(e.getMessage().contains("maxLayerBytes=1000000"), e.getMessage());
    } finally {
      System.clearProperty(io.isolate.container.ContainerSettings.MAX_LAYER_BYTES);
    }
    assertCacheHoldsNoLayer();
  }

  @Test
  void aDockerArchiveLayerCompressedWithZstdIsCheckedAgainstItsDiffId() throws IOException {
    byte[] tar = TestImages.tar(l -> l.file("marker", "docker archive\n"));
    byte[] zstd = TestImages.zstd(l -> l.file("marker", "docker archive\n"));
    // the diff_id names the uncompressed tar, as docker save writes it
    Path good = TestImages.dockerSave(tmp.resolve("good.tar"), "img:1", List.of(zstd), List.of(TestImages.sha256(tar)));
    List<Path> layers = store.layers(good, null);
    assertEquals("docker archive\n", Files.readString(layers.get(0).resolve("marker")));
    Path bad = TestImages.dockerSave(tmp.resolve("bad.tar"), "img:1",
        List.of(TestImages.zstd(l -> l.file("marker", "tampered\n"))), List.of(TestImages.sha256(tar)));
    IOException e = assertThrows(IOException.class, () -> new ImageStore(tmp.resolve("other-cache")).layers(bad, null));
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
  }

  @Test
  void entriesThatStoreNothingCannotMakeTheDecoderRunForFree() throws IOException {
    System.setProperty(io.isolate.container.ContainerSettings.MAX_LAYER_BYTES, "1000000");
    try {
      // a directory entry declaring 64 MiB of "content": nothing is written, but the tar library decodes it all to
      // skip it. Written as a regular file, then its type flag made a directory's (and the checksum made again).
      byte[] tar = TestImages.tar(l -> l.file("dir", new byte[64 << 20], 0755));
      tar[156] = '5';
      java.util.Arrays.fill(tar, 148, 156, (byte) ' ');
      int sum = 0;
      for (int i = 0; i < 512; i++) {
        sum += tar[i] & 0xff;
      }
      byte[] checksum = String.format("%06o\0 ", sum).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      System.arraycopy(checksum, 0, tar, 148, 8);
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      try (var z = new com.github.luben.zstd.ZstdOutputStreamNoFinalizer(bytes, 3)) {
        z.write(tar);
      }
      IOException e = assertThrows(IOException.class, () -> store.layers(
          TestImages.ociLayout(tmp.resolve("dir"), "1", List.of(bytes.toByteArray())), null));
      assertTrue(e.getMessage().contains("maxLayerBytes=1000000"), e.getMessage());
    } finally {
      System.clearProperty(io.isolate.container.ContainerSettings.MAX_LAYER_BYTES);
    }
    assertCacheHoldsNoLayer();
  }

  @Test
  void atMostTwoDecodersRunAtOnceAndAWaitEndsAtTheDeadline() throws IOException {
    byte[] frame = rawFrame(20, TestImages.tar(l -> l.file("f", "x\n")));
    long far = System.nanoTime() + 60_000_000_000L;
    java.io.InputStream first = ZstdLayers.decoding(new java.io.ByteArrayInputStream(frame), far);
    java.io.InputStream second = ZstdLayers.decoding(new java.io.ByteArrayInputStream(frame), far);
    try {
      IOException e = assertThrows(IOException.class, () -> ZstdLayers.decoding(
          new java.io.ByteArrayInputStream(frame), System.nanoTime() + 200_000_000L));
      assertTrue(e.getMessage().contains("waiting for one of the " + ZstdLayers.CONCURRENT_DECODERS), e.getMessage());
      first.close();
      first.close(); // a second close gives back nothing more
      try (java.io.InputStream third = ZstdLayers.decoding(new java.io.ByteArrayInputStream(frame), far)) {
        assertTrue(third.readAllBytes().length > 0);
      }
    } finally {
      first.close();
      second.close();
    }
    // both permits are back: two decoders at once again, and no third
    try (java.io.InputStream a = ZstdLayers.decoding(new java.io.ByteArrayInputStream(frame), far);
        java.io.InputStream b = ZstdLayers.decoding(new java.io.ByteArrayInputStream(frame), far)) {
      assertThrows(IOException.class, () -> ZstdLayers.decoding(new java.io.ByteArrayInputStream(frame),
          System.nanoTime() + 50_000_000L));
    }
  }

  @Test
  void theDeadlineHoldsOverASpecialFilesDeclaredContent() throws IOException {
    // a character device declaring 64 GiB of content (a base-256 size): 2 MiB of zstd run-length blocks of zeros,
    // which would take long to decode whole; the deadline stops it
    byte[] header = TestImages.tar(l -> l.file("pipe", new byte[0], 0644));
    header = java.util.Arrays.copyOf(header, 512);
    header[156] = '3';
    java.util.Arrays.fill(header, 124, 136, (byte) 0);
    header[124] = (byte) 0x80;
    long size = 64L << 30;
    for (int i = 0; i < 8; i++) {
      header[135 - i] = (byte) (size >>> (8 * i));
    }
    java.util.Arrays.fill(header, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    System.arraycopy(String.format("%06o\0 ", sum).getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, header,
        148, 8);
    java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
    frame.writeBytes(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0x00, (byte) ((17 - 10) << 3)});
    int raw = header.length << 3; // a raw block: the header
    frame.writeBytes(new byte[] {(byte) raw, (byte) (raw >> 8), (byte) (raw >> 16)});
    frame.writeBytes(header);
    int rle = 2 | (128 << 10 << 3); // run-length blocks of 128 KiB of zeros
    for (long n = 0; n < size / (128 << 10); n++) {
      frame.writeBytes(new byte[] {(byte) rle, (byte) (rle >> 8), (byte) (rle >> 16), 0});
    }
    Path root = Files.createDirectory(tmp.resolve("deadline"));
    long t0 = System.nanoTime();
    IOException e = assertThrows(IOException.class, () -> LayerUnpacker.unpack(
        new java.io.ByteArrayInputStream(frame.toByteArray()), root,
        new LayerUnpacker.Cap(Long.MAX_VALUE, "no cap", System.nanoTime() + 300_000_000L)));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(e.getMessage().contains("took longer"), e.getMessage());
    assertTrue(ms < 10_000, "the 64 GiB were stopped at the deadline, not decoded whole: " + ms + " ms");
  }

  private void assertCacheHoldsNoLayer() throws IOException {
    for (String dir : List.of("layers", "tmp")) {
      if (Files.isDirectory(cache.resolve(dir))) {
        try (Stream<Path> s = Files.list(cache.resolve(dir))) {
          assertEquals(0, s.count(), "nothing left in " + dir);
        }
      }
    }
  }
}
