package io.isolate.container.image;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.util.Native;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.ContainerSettings;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Decodes zstd-compressed layers ({@code application/vnd.oci.image.layer.v1.tar+zstd}) with the reference decoder,
 * libzstd, through zstd-jni: the decoder that zstd's own fuzzing keeps, as the JDK's zlib decodes gzip layers. What
 * a hostile frame can ask of it is bounded: a window of at most {@link #MAX_WINDOW_LOG} (a frame that asks for more
 * is refused before anything is allocated), so each decoder holds at most about 128 MiB of native memory, outside
 * the Java heap; at most {@link #CONCURRENT_DECODERS} decode at once in a JVM, so hostile images unpacked in parallel
 * cannot add those up. The layer's unpacked bytes stay under the caps the unpacker counts.
 *
 * <p>The native library is loaded once. zstd-jni takes it from {@code -DZstdNativePath} or
 * {@code java.library.path} when either has it, and otherwise extracts it from its jar into the helper's own
 * directory: private to this user and allowing executables (the helper runs from it), where
 * {@code java.io.tmpdir}, zstd-jni's default, may be a {@code noexec} mount.
 */
final class ZstdLayers {
  /**
   * The largest window a frame may ask for, as a power of two: 2^27 bytes (128 MiB), zstd's own default limit,
   * which archives compressed with {@code --long} reach.
   */
  static final int MAX_WINDOW_LOG = 27;
  /** How many zstd layers one JVM decodes at once; the others wait (within their own deadline). */
  static final int CONCURRENT_DECODERS = 2;

  private static final Semaphore DECODERS = new Semaphore(CONCURRENT_DECODERS, true);
  private static boolean loaded;

  private ZstdLayers() {}

  /** Whether {@code magic} (a stream's first four bytes) opens a zstd frame. */
  static boolean isZstd(byte[] magic) {
    return magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd;
  }

  /**
   * {@code compressed} decoded, once one of the JVM's {@link #CONCURRENT_DECODERS} is free; closing the result frees
   * the decoder (its native memory) and closes the source.
   *
   * @param deadlineNanos when waiting for a decoder gives up ({@link System#nanoTime()})
   */
  static InputStream decoding(InputStream compressed, long deadlineNanos) throws IOException {
    load();
    try {
      if (!DECODERS.tryAcquire(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        throw new IOException("preparing the image took longer than -D" + ContainerSettings.IMAGE_PREPARE_SECONDS
            + " allows (waiting for one of the " + CONCURRENT_DECODERS + " zstd decoders)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting for a zstd decoder");
    }
    ZstdInputStreamNoFinalizer decoder = null;
    try {
      decoder = new ZstdInputStreamNoFinalizer(compressed);
      decoder.setLongMax(MAX_WINDOW_LOG);
      return new Permitted(decoder);
    } catch (IOException | RuntimeException | LinkageError e) {
      // nothing else frees a decoder's native memory, nor gives the permit back
      if (decoder != null) {
        try {
          decoder.close();
        } catch (IOException | RuntimeException ignored) {
          // the first failure is the one to report
        }
      }
      DECODERS.release();
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException("zstd-compressed layers cannot be decoded on this host: the zstd library (zstd-jni) "
          + "failed: " + e, e);
    }
  }

  /** The decoder, whose permit is given back once, when it is closed. */
  private static final class Permitted extends FilterInputStream {
    private final AtomicBoolean closed = new AtomicBoolean();

    Permitted(InputStream decoder) {
      super(decoder);
    }

    @Override
    public void close() throws IOException {
      if (closed.compareAndSet(false, true)) {
        try {
          super.close();
        } finally {
          DECODERS.release();
        }
      }
    }
  }

  /** Loads the native library, or says why it cannot be; a failure is tried again next time (a full disk passes). */
  private static synchronized void load() throws IOException {
    if (loaded) {
      return;
    }
    try {
      Native.load(HelperBinary.path().getParent().toFile());
      loaded = true;
    } catch (RuntimeException | LinkageError e) {
      throw new IOException("zstd-compressed layers cannot be decoded on this host: the zstd library (zstd-jni) did "
          + "not load: " + e, e);
    }
  }
}
