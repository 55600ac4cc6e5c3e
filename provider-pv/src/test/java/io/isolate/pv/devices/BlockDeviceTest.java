package io.isolate.pv.devices;

import static io.isolate.pv.virtio.DriverQueue.Buf.in;
import static io.isolate.pv.virtio.DriverQueue.Buf.out;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.pv.virtio.DriverQueue;
import io.isolate.pv.virtio.VirtioFeatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** virtio-blk requests as a driver lays them out, good and hostile, against real disk images. */
class BlockDeviceTest {
  private static final long FEATURES = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC;
  @TempDir
  Path dir;
  private final List<String> errors = new ArrayList<>();
  private final List<DiskImage> images = new ArrayList<>();

  @AfterEach
  void closeImages() throws IOException {
    for (DiskImage d : images) {
      d.close();
    }
  }

  private ConsoleGuest guest(DiskImage image, String id) {
    images.add(image);
    return new ConsoleGuest(new BlockDevice(image, id, errors::add), 4 << 20).start(FEATURES, 1, 64);
  }

  private record Request(long header, long data, long status) {}

  /** Lays out header, data and status in guest memory and queues them as one chain (data split in two buffers). */
  private static Request request(ConsoleGuest g, int type, long sector, int dataBytes, boolean deviceWrites) {
    long header = g.driver.allocator.alloc(16, 8);
    g.memory.putU32(header, type);
    g.memory.putU32(header + 4, 0);
    g.memory.putU64(header + 8, sector);
    long data = dataBytes > 0 ? g.driver.allocator.alloc(dataBytes, 8) : 0;
    long status = g.driver.allocator.alloc(1, 1);
    g.memory.putU8(status, 0xff);
    List<DriverQueue.Buf> bufs = new ArrayList<>();
    bufs.add(in(header, 16));
    if (dataBytes > 0) {
      int half = dataBytes / 2;
      bufs.add(deviceWrites ? out(data, half) : in(data, half));
      bufs.add(deviceWrites ? out(data + half, dataBytes - half) : in(data + half, dataBytes - half));
    }
    bufs.add(out(status, 1));
    g.queue(0).add(bufs);
    return new Request(header, data, status);
  }

  private static byte[] read(ConsoleGuest g, long address, int n) {
    byte[] b = new byte[n];
    g.memory.read(address, b, 0, n);
    return b;
  }

  @Test
  void readsAnImageFileStraightIntoTheGuestsBuffersAndOffersReadOnly() throws Exception {
    byte[] content = new byte[8 * 512 + 100]; // not whole sectors: the tail reads as zeros
    new Random(1).nextBytes(content);
    Path file = dir.resolve("disk.img");
    Files.write(file, content);
    ConsoleGuest g = guest(DiskImage.readOnlyFile(file), "/image");
    g.driver.write(0x014, 0); // DeviceFeaturesSel: bits 0-31
    assertTrue((g.driver.read(0x010) & BlockDevice.F_RO) != 0, "a read-only image offers VIRTIO_BLK_F_RO");
    byte[] config = new byte[8];
    for (int i = 0; i < 8; i++) {
      config[i] = (byte) g.transport.read(0x100 + i, 1);
    }
    assertEquals(9, java.nio.ByteBuffer.wrap(config).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
    Request r = request(g, BlockDevice.T_IN, 2, 7 * 512, true);
    g.driver.kick(0);
    assertEquals(List.of(new DriverQueue.Used(0, 7 * 512 + 1)), g.queue(0).drainUsed());
    assertEquals(BlockDevice.S_OK, g.memory.getU8(r.status()));
    byte[] expected = new byte[7 * 512];
    System.arraycopy(content, 2 * 512, expected, 0, 6 * 512 + 100);
    assertArrayEquals(expected, read(g, r.data(), 7 * 512));
  }

  @Test
  void refusesWritesToAReadOnlyDiskAndLeavesTheFileAlone() throws Exception {
    Path file = dir.resolve("ro.img");
    Files.write(file, new byte[4096]);
    ConsoleGuest g = guest(DiskImage.readOnlyFile(file), "ro");
    Request r = request(g, BlockDevice.T_OUT, 0, 512, false);
    g.memory.fill(r.data(), 512, (byte) 7);
    g.driver.kick(0);
    assertEquals(1, g.queue(0).drainUsed().get(0).length());
    assertEquals(BlockDevice.S_IOERR, g.memory.getU8(r.status()));
    assertArrayEquals(new byte[4096], Files.readAllBytes(file));
    assertTrue(errors.get(0).contains("read-only"), errors.toString());
  }

  @Test
  void aScratchDiskStartsEmptyKeepsWritesAndIsGoneWhenClosed() throws Exception {
    DiskImage scratch = DiskImage.scratch(dir, 1 << 20);
    ConsoleGuest g = guest(scratch, "/scratch");
    g.driver.write(0x014, 0);
    assertEquals(0, g.driver.read(0x010) & BlockDevice.F_RO, "a scratch disk is writable");
    try (var listing = Files.list(dir)) {
      assertEquals(0, listing.count(), "the scratch file is unlinked at once");
    }
    Request w = request(g, BlockDevice.T_OUT, 100, 1024, false);
    byte[] data = "scratch data".repeat(90).substring(0, 1024).getBytes(StandardCharsets.US_ASCII);
    g.memory.write(w.data(), data, 0, data.length);
    Request r = request(g, BlockDevice.T_IN, 100, 1024, true);
    Request empty = request(g, BlockDevice.T_IN, 2047, 512, true);
    Request flush = request(g, BlockDevice.T_FLUSH, 0, 0, false);
    g.driver.kick(0);
    g.queue(0).drainUsed();
    assertEquals(BlockDevice.S_OK, g.memory.getU8(w.status()));
    assertEquals(BlockDevice.S_OK, g.memory.getU8(r.status()));
    assertArrayEquals(data, read(g, r.data(), 1024));
    assertArrayEquals(new byte[512], read(g, empty.data(), 512));
    assertEquals(BlockDevice.S_OK, g.memory.getU8(flush.status()));
  }

  @Test
  void namesTheDiskThroughGetId() {
    ConsoleGuest g = guest(DiskImage.bytes("hello".getBytes()), "/config");
    Request r = request(g, BlockDevice.T_GET_ID, 0, 20, true);
    g.driver.kick(0);
    assertEquals(21, g.queue(0).drainUsed().get(0).length());
    byte[] id = read(g, r.data(), 20);
    assertEquals("/config", new String(id, 0, 7, StandardCharsets.UTF_8));
    assertEquals(0, id[7]);
    assertThrows(IllegalArgumentException.class, () -> BlockDevice.validId("a-name-longer-than-20-bytes"));
    assertThrows(IllegalArgumentException.class, () -> BlockDevice.validId(""));
  }

  @Test
  void refusesHostileRequestsOneByOneAndGoesOn() {
    ConsoleGuest g = guest(DiskImage.bytes(new byte[4096]), "d"); // 8 sectors
    Request past = request(g, BlockDevice.T_IN, 7, 1024, true); // sectors 7 and 8: one past the end
    Request overflow = request(g, BlockDevice.T_IN, Long.MAX_VALUE / 256, 512, true); // sector * 512 overflows
    Request huge = request(g, BlockDevice.T_IN, -1, 512, true); // sector 2^64 - 1
    Request partial = request(g, BlockDevice.T_IN, 0, 100, true); // not whole sectors
    Request wrongWay = request(g, BlockDevice.T_IN, 0, 512, false); // a read that carries data to the device
    Request unknown = request(g, 77, 0, 0, false);
    long shortHeader = g.driver.allocator.alloc(8, 8);
    long status = g.driver.allocator.alloc(1, 1);
    g.queue(0).add(List.of(in(shortHeader, 8), out(status, 1))); // a header of 8 bytes
    long noStatus = g.driver.allocator.alloc(16, 8);
    g.queue(0).add(List.of(in(noStatus, 16))); // no writable byte for a status
    Request good = request(g, BlockDevice.T_IN, 7, 512, true);
    g.driver.kick(0);
    List<DriverQueue.Used> used = g.queue(0).drainUsed();
    assertEquals(9, used.size());
    for (Request r : List.of(past, overflow, huge, partial, wrongWay)) {
      assertEquals(BlockDevice.S_IOERR, g.memory.getU8(r.status()), errors::toString);
    }
    assertEquals(BlockDevice.S_UNSUPP, g.memory.getU8(unknown.status()));
    assertEquals(0, used.get(6).length());
    assertEquals(0, used.get(7).length());
    assertEquals(513, used.get(8).length());
    assertEquals(BlockDevice.S_OK, g.memory.getU8(good.status()));
    assertTrue(errors.stream().anyMatch(e -> e.contains("outside the disk")), errors::toString);
    assertTrue(errors.stream().anyMatch(e -> e.contains("not whole 512-byte sectors")), errors::toString);
  }

  /**
   * Random requests (types, sectors, lengths, header and data split anywhere, data in either direction) against a
   * writable disk whose file is watched: no exception escapes, every request with room for a status gets one of the
   * three status values, and the file never grows past the disk nor changes outside a successful write's range.
   */
  @Test
  void survivesRandomRequestsWithinItsDisk() throws Exception {
    Random random = new Random(99);
    DiskImage scratch = DiskImage.scratch(dir, 8 * 512);
    ConsoleGuest g = guest(scratch, "fuzz");
    byte[] model = new byte[8 * 512]; // what the disk must hold: changed only by successful writes
    long mark = g.driver.allocator.mark();
    for (int round = 0; round < 3000; round++) {
      int type = switch (random.nextInt(6)) {
        case 0, 1 -> BlockDevice.T_IN;
        case 2, 3 -> BlockDevice.T_OUT;
        case 4 -> BlockDevice.T_GET_ID;
        default -> random.nextInt();
      };
      long sector = random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(10);
      int bytes = random.nextInt(3) == 0 ? random.nextInt(2000) : 512 * random.nextInt(4);
      boolean deviceWrites = random.nextBoolean();
      long header = g.driver.allocator.alloc(16, 8);
      g.memory.putU32(header, type);
      g.memory.putU64(header + 8, sector);
      long data = g.driver.allocator.alloc(Math.max(bytes, 1), 8);
      byte[] payload = new byte[bytes];
      random.nextBytes(payload);
      g.memory.write(data, payload, 0, bytes);
      long status = g.driver.allocator.alloc(1, 1);
      g.memory.putU8(status, 0xee);
      int split = 1 + random.nextInt(15);
      List<DriverQueue.Buf> bufs = new ArrayList<>(List.of(in(header, split), in(header + split, 16 - split)));
      if (bytes > 0) {
        bufs.add(deviceWrites ? out(data, bytes) : in(data, bytes));
      }
      boolean withStatus = random.nextInt(10) != 0;
      if (withStatus) {
        bufs.add(out(status, 1));
      }
      g.queue(0).add(bufs);
      g.driver.kick(0);
      List<DriverQueue.Used> used = g.queue(0).drainUsed();
      assertEquals(1, used.size());
      int st = g.memory.getU8(status);
      if (withStatus) {
        assertTrue(st == BlockDevice.S_OK || st == BlockDevice.S_IOERR || st == BlockDevice.S_UNSUPP,
            "status " + st + " for type " + type + " sector " + sector + " bytes " + bytes);
        boolean whole = bytes % 512 == 0 && sector >= 0 && sector <= 8 && bytes / 512 <= 8 - sector;
        if (type == BlockDevice.T_OUT && st == BlockDevice.S_OK) {
          assertTrue(whole && (!deviceWrites || bytes == 0), "a write outside the rules succeeded");
          System.arraycopy(payload, 0, model, (int) sector * 512, bytes);
        }
        if (type == BlockDevice.T_IN && st == BlockDevice.S_OK) {
          assertTrue(whole && (deviceWrites || bytes == 0), "a read outside the rules succeeded");
        }
      }
      g.driver.allocator.release(mark);
    }
    Request r = request(g, BlockDevice.T_IN, 0, 8 * 512, true);
    g.driver.kick(0);
    g.queue(0).drainUsed();
    assertArrayEquals(model, read(g, r.data(), 8 * 512), "the disk holds exactly the successful writes");
  }

  @Test
  void refusesADirectoryOrASymbolicLinkAsAnImage() throws Exception {
    IOException e = assertThrows(IOException.class, () -> DiskImage.readOnlyFile(dir));
    assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    Path target = Files.write(dir.resolve("target.img"), new byte[512]);
    Path link = Files.createSymbolicLink(dir.resolve("link.img"), target);
    assertThrows(IOException.class, () -> DiskImage.readOnlyFile(link));
  }
}
