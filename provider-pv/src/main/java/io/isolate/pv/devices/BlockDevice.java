package io.isolate.pv.devices;

import io.isolate.pv.virtio.DescriptorChain;
import io.isolate.pv.virtio.DeviceContext;
import io.isolate.pv.virtio.QueueMemory;
import io.isolate.pv.virtio.Segment;
import io.isolate.pv.virtio.VirtioDevice;
import io.isolate.pv.virtio.VirtioFeatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * virtio-blk (device type 2, virtio 1.2 section 5.2) over a {@link DiskImage}: one request queue; reads (IN),
 * writes (OUT, refused with IOERR on a read-only image, which also offers VIRTIO_BLK_F_RO), FLUSH and GET_ID (the
 * disk's name, at most 20 bytes, which is how a guest finds a disk). Data moves straight between the image and the
 * guest's buffers.
 *
 * <p>Every request is checked here, in one place, before any byte moves: a header of 16 readable bytes, a status
 * byte in the last writable byte, data lengths in whole sectors, the sector range within the disk (without
 * overflow), no data the request type does not carry. A request that breaks a rule is answered IOERR (UNSUPP for
 * an unknown type) and counted; one without room for a status gets a used length of 0.
 *
 * <pre>{@code
 * BlockDevice disk = new BlockDevice(DiskImage.readOnlyFile(Path.of("rootfs.img")), "/image", log::warn);
 * }</pre>
 */
public final class BlockDevice implements VirtioDevice {
  static final int DEVICE_TYPE = 2;
  /** VIRTIO_BLK_F_RO: the device is read-only. */
  public static final long F_RO = 1L << 5;
  /** VIRTIO_BLK_F_FLUSH: the device takes FLUSH requests. */
  public static final long F_FLUSH = 1L << 9;
  static final int T_IN = 0;
  static final int T_OUT = 1;
  static final int T_FLUSH = 4;
  static final int T_GET_ID = 8;
  static final int S_OK = 0;
  static final int S_IOERR = 1;
  static final int S_UNSUPP = 2;
  static final int HEADER_BYTES = 16;
  /** VIRTIO_BLK_ID_BYTES. */
  public static final int ID_BYTES = 20;
  private static final int QUEUE_SIZE = 64;

  private final DiskImage image;
  private final byte[] id;
  private final Consumer<String> errors;
  private DeviceContext context;
  private long badRequests;
  private long bytesRead;
  private long bytesWritten;

  /**
   * @param id the disk's name, 1 to {@value #ID_BYTES} bytes of UTF-8 without NUL
   * @param errors receives a line per refused request
   */
  public BlockDevice(DiskImage image, String id, Consumer<String> errors) {
    this.image = Objects.requireNonNull(image, "image");
    this.id = validId(id);
    this.errors = errors == null ? s -> {} : errors;
  }

  /** The disk name as the guest sees it; throws IllegalArgumentException when it cannot be one. */
  public static byte[] validId(String id) {
    byte[] b = Objects.requireNonNull(id, "id").getBytes(StandardCharsets.UTF_8);
    if (b.length == 0 || b.length > ID_BYTES || id.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("disk name '" + id + "' must be 1 to " + ID_BYTES
          + " bytes of UTF-8 without NUL (virtio-blk GET_ID)");
    }
    return b;
  }

  @Override
  public int deviceType() {
    return DEVICE_TYPE;
  }

  @Override
  public long deviceFeatures() {
    return VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC | VirtioFeatures.RING_EVENT_IDX | F_FLUSH
        | (image.isReadOnly() ? F_RO : 0);
  }

  @Override
  public int[] queueMaxSizes() {
    return new int[] {QUEUE_SIZE};
  }

  /** capacity (u64, sectors), size_max, seg_max, geometry, blk_size (u32 each): the fields up to blk_size. */
  @Override
  public int configSize() {
    return 24;
  }

  @Override
  public void readConfig(int offset, byte[] data) {
    byte[] config = new byte[24];
    long sectors = image.capacity() / DiskImage.SECTOR;
    for (int i = 0; i < 8; i++) {
      config[i] = (byte) (sectors >>> (8 * i));
    }
    config[21] = (byte) (DiskImage.SECTOR >>> 8); // blk_size = 512, for drivers that read it without the feature
    System.arraycopy(config, offset, data, 0, data.length);
  }

  @Override
  public synchronized String activate(DeviceContext context) {
    if (!context.queue(0).isReady()) {
      return "block request queue 0 is not ready";
    }
    this.context = context;
    return null;
  }

  @Override
  public synchronized void queueNotify(int index) {
    if (context == null || !context.isLive()) {
      return;
    }
    context.serveRequests(context.queue(0), chain -> serve(chain, context.memory()), this::refused);
  }

  /** Serves one request; returns the used length (data written into the guest's buffers plus the status byte). */
  private int serve(DescriptorChain chain, QueueMemory memory) {
    if (chain.readableBytes() < HEADER_BYTES || chain.writableBytes() < 1) {
      refused("a request needs a 16-byte header and a status byte (has " + chain.readableBytes() + " readable, "
          + chain.writableBytes() + " writable bytes)");
      return 0;
    }
    byte[] header = new byte[HEADER_BYTES];
    int at = 0;
    for (Segment s : chain.readable()) {
      int n = Math.min(s.length(), HEADER_BYTES - at);
      memory.read(s.address(), header, at, n);
      at += n;
      if (at == HEADER_BYTES) {
        break;
      }
    }
    int type = (header[0] & 0xff) | (header[1] & 0xff) << 8 | (header[2] & 0xff) << 16 | (header[3] & 0xff) << 24;
    long sector = 0;
    for (int i = 0; i < 8; i++) {
      sector |= (header[8 + i] & 0xffL) << (8 * i);
    }
    List<Segment> dataOut = range(chain.readable(), HEADER_BYTES, chain.readableBytes());
    List<Segment> dataIn = range(chain.writable(), 0, chain.writableBytes() - 1);
    Segment last = chain.writable().get(chain.writable().size() - 1);
    long statusAt = last.address() + last.length() - 1;
    long dataInBytes = chain.writableBytes() - 1;
    long dataOutBytes = chain.readableBytes() - HEADER_BYTES;
    int status;
    long written = 0;
    switch (type) {
      case T_IN -> {
        status = checkTransfer("read", sector, dataInBytes, dataOutBytes);
        if (status == S_OK) {
          status = transfer(sector, dataIn, memory, false);
          written = status == S_OK ? dataInBytes : 0;
          bytesRead += written;
        }
      }
      case T_OUT -> {
        if (image.isReadOnly()) {
          status = refusedStatus("write to a read-only disk");
        } else {
          status = checkTransfer("write", sector, dataOutBytes, dataInBytes);
          if (status == S_OK) {
            status = transfer(sector, dataOut, memory, true);
            bytesWritten += status == S_OK ? dataOutBytes : 0;
          }
        }
      }
      case T_FLUSH -> {
        status = S_OK;
        try {
          image.flush();
        } catch (IOException e) {
          status = refusedStatus("flush failed: " + e.getMessage());
        }
      }
      case T_GET_ID -> {
        // the name, NUL-padded to 20 bytes, or as much of it as the buffer holds
        byte[] padded = new byte[ID_BYTES];
        System.arraycopy(id, 0, padded, 0, id.length);
        int n = (int) Math.min(ID_BYTES, dataInBytes);
        written = writeSegments(dataIn, padded, n, memory);
        status = S_OK;
      }
      default -> {
        refused("unknown request type " + (type & 0xffff_ffffL));
        status = S_UNSUPP;
      }
    }
    memory.putU8(statusAt, status);
    return (int) (written + 1); // at most the per-request cap of QueueLimits
  }

  /** OK when {@code bytes} from {@code sector} is whole sectors inside the disk and the other direction is empty. */
  private int checkTransfer(String what, long sector, long bytes, long otherDirection) {
    long sectors = image.capacity() / DiskImage.SECTOR;
    if (otherDirection != 0) {
      return refusedStatus(what + " request carries " + otherDirection + " bytes the other way");
    }
    if (bytes % DiskImage.SECTOR != 0) {
      return refusedStatus(what + " of " + bytes + " bytes is not whole 512-byte sectors");
    }
    if (sector < 0 || sector > sectors || bytes / DiskImage.SECTOR > sectors - sector) {
      return refusedStatus(what + " of " + bytes / DiskImage.SECTOR + " sectors at sector "
          + Long.toUnsignedString(sector) + " is outside the disk (" + sectors + " sectors)");
    }
    return S_OK;
  }

  private int transfer(long sector, List<Segment> data, QueueMemory memory, boolean toDisk) {
    long offset = sector * DiskImage.SECTOR;
    try {
      for (Segment s : data) {
        if (toDisk) {
          image.write(offset, memory.slice(s.address(), s.length()));
        } else {
          image.read(offset, memory.slice(s.address(), s.length()));
        }
        offset += s.length();
      }
      return S_OK;
    } catch (IOException e) {
      return refusedStatus((toDisk ? "write" : "read") + " failed: " + e.getMessage());
    }
  }

  private static long writeSegments(List<Segment> into, byte[] src, int length, QueueMemory memory) {
    int done = 0;
    for (Segment s : into) {
      int n = Math.min(s.length(), length - done);
      if (n <= 0) {
        break;
      }
      memory.write(s.address(), src, done, n);
      done += n;
    }
    return done;
  }

  /** The part {@code [from, to)} of the bytes that {@code segments} cover, as segments. */
  static List<Segment> range(List<Segment> segments, long from, long to) {
    List<Segment> out = new ArrayList<>();
    long pos = 0;
    for (Segment s : segments) {
      long start = Math.max(from, pos);
      long end = Math.min(to, pos + s.length());
      if (start < end) {
        out.add(new Segment(s.address() + (start - pos), (int) (end - start)));
      }
      pos += s.length();
    }
    return out;
  }

  private void refused(String why) {
    badRequests++;
    errors.accept("virtio-blk '" + new String(id, StandardCharsets.UTF_8) + "': " + why);
  }

  private int refusedStatus(String why) {
    refused(why);
    return S_IOERR;
  }

  @Override
  public synchronized void reset() {
    context = null;
  }

  /** Requests refused so far (bad layout, out of range, writes to a read-only disk, unknown types). */
  public synchronized long badRequests() {
    return badRequests;
  }

  /** Bytes read from the disk into the guest so far. */
  public synchronized long bytesRead() {
    return bytesRead;
  }

  /** Bytes the guest wrote to the disk so far. */
  public synchronized long bytesWritten() {
    return bytesWritten;
  }
}
