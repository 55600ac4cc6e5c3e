package io.isolate.pv.devices;

import io.isolate.spi.ImageFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What a {@link BlockDevice} reads and writes: a host file read-only, bytes held in memory, or a scratch file that
 * starts empty (reads as zeros) and is deleted when closed. Offsets and lengths are checked by the device against
 * {@link #capacity()} before any call here.
 */
public abstract class DiskImage implements AutoCloseable {
  /** Virtio block sectors are 512 bytes whatever the backing store. */
  public static final int SECTOR = 512;

  private final long capacity;

  private DiskImage(long capacity) {
    this.capacity = capacity;
  }

  /** The disk's size in bytes, a multiple of {@link #SECTOR}. */
  public final long capacity() {
    return capacity;
  }

  /** Whether the guest may write. */
  public abstract boolean isReadOnly();

  /** Fills {@code dst} from {@code offset}; bytes past the end of the backing file read as zeros. */
  abstract void read(long offset, ByteBuffer dst) throws IOException;

  /** Writes {@code src} at {@code offset}; only on writable images. */
  abstract void write(long offset, ByteBuffer src) throws IOException;

  /** VIRTIO_BLK_T_FLUSH: makes writes durable where that means anything. */
  abstract void flush() throws IOException;

  @Override
  public abstract void close() throws IOException;

  private static long roundUp(long bytes) {
    return (bytes + SECTOR - 1) / SECTOR * SECTOR;
  }

  /**
   * The regular file at {@code file}, read-only, its size when opened rounded up to whole sectors (the tail reads as
   * zeros), opened by {@link ImageFiles#open} (no symbolic link followed, no file swapped in). The guest reads the
   * file as it is at each read: not a snapshot.
   */
  public static DiskImage readOnlyFile(Path file) throws IOException {
    FileChannel channel = ImageFiles.open(file);
    try {
      return new FileImage(channel, roundUp(channel.size()), true);
    } catch (RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** A read-only disk holding {@code content}, padded with zeros to whole sectors. */
  public static DiskImage bytes(byte[] content) {
    return new BytesImage(content.clone());
  }

  /**
   * An empty writable disk of {@code bytes} (rounded up to whole sectors) in a sparse file under {@code dir}, unlinked
   * at once and released when the image is closed: the guest's writes take host disk space only as they happen, at
   * most {@code bytes}.
   */
  public static DiskImage scratch(Path dir, long bytes) throws IOException {
    if (bytes <= 0 || bytes > MAX_SCRATCH_BYTES) {
      throw new IllegalArgumentException("scratch disk size (" + bytes + " bytes) must be between 1 byte and "
          + (MAX_SCRATCH_BYTES >> 30) + " GiB");
    }
    Path file = Files.createTempFile(dir, "isolate-scratch-", ".img");
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } finally {
      Files.deleteIfExists(file); // gone from the directory at once; the open channel holds the space until closed
    }
    return new FileImage(channel, roundUp(bytes), false);
  }

  /** The largest scratch disk: it lives in the host's temporary directory, outside the guest's memory limit. */
  public static final long MAX_SCRATCH_BYTES = 64L << 30;

  private static final class FileImage extends DiskImage {
    private final FileChannel channel;
    private final boolean readOnly;

    FileImage(FileChannel channel, long capacity, boolean readOnly) {
      super(capacity);
      this.channel = channel;
      this.readOnly = readOnly;
    }

    @Override
    public boolean isReadOnly() {
      return readOnly;
    }

    @Override
    void read(long offset, ByteBuffer dst) throws IOException {
      long at = offset;
      while (dst.hasRemaining()) {
        int n = channel.read(dst, at);
        if (n == 0) {
          throw new IOException("the backing file returned no bytes at offset " + at);
        }
        if (n < 0) {
          while (dst.hasRemaining()) {
            dst.put((byte) 0); // past the end of the file: a sparse tail
          }
          return;
        }
        at += n;
      }
    }

    @Override
    void write(long offset, ByteBuffer src) throws IOException {
      long at = offset;
      while (src.hasRemaining()) {
        at += channel.write(src, at);
      }
    }

    /** Nothing to make durable: images are read-only, and a scratch disk is thrown away at the end. */
    @Override
    void flush() {}

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  private static final class BytesImage extends DiskImage {
    private final byte[] content;

    BytesImage(byte[] content) {
      super(roundUp(content.length));
      this.content = content;
    }

    @Override
    public boolean isReadOnly() {
      return true;
    }

    @Override
    void read(long offset, ByteBuffer dst) {
      int from = (int) Math.min(offset, content.length);
      int n = (int) Math.min(dst.remaining(), content.length - from);
      dst.put(content, from, n);
      while (dst.hasRemaining()) {
        dst.put((byte) 0);
      }
    }

    @Override
    void write(long offset, ByteBuffer src) throws IOException {
      throw new IOException("read-only image");
    }

    @Override
    void flush() {}

    @Override
    public void close() {}
  }
}
