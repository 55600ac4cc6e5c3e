package io.isolate.container.image;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.util.Native;
import io.isolate.container.helper.HelperBinary;
import java.io.IOException;
import java.io.InputStream;

/**
 * Decodes zstd-compressed layers ({@code application/vnd.oci.image.layer.v1.tar+zstd}) with the reference decoder,
 * libzstd, through zstd-jni: the decoder that zstd's own fuzzing keeps, as the JDK's zlib decodes gzip layers. What
 * a hostile frame can ask of it is bounded: a window of at most {@link #MAX_WINDOW_LOG} (a frame that asks for more
 * is refused before anything is allocated), and the layer's unpacked bytes stay under the caps the unpacker counts.
 *
 * <p>The native library is loaded once, from the helper's own directory: it is private to this user and allows
 * executables (the helper runs from it), where {@code java.io.tmpdir}, zstd-jni's default, may be a {@code noexec}
 * mount.
 */
final class ZstdLayers {
  /**
   * The largest window a frame may ask for, as a power of two: 2^27 bytes (128 MiB), zstd's own default limit,
   * which archives compressed with {@code --long} reach.
   */
  static final int MAX_WINDOW_LOG = 27;

  private static boolean loaded;
  private static Throwable loadFailure;

  private ZstdLayers() {}

  /** Whether {@code magic} (a stream's first four bytes) opens a zstd frame. */
  static boolean isZstd(byte[] magic) {
    return magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd;
  }

  /** {@code compressed} decoded; closing the result frees the decoder's native memory and closes the source. */
  static InputStream decoding(InputStream compressed) throws IOException {
    load();
    return new ZstdInputStreamNoFinalizer(compressed).setLongMax(MAX_WINDOW_LOG);
  }

  private static synchronized void load() throws IOException {
    if (loaded) {
      return;
    }
    if (loadFailure == null) {
      try {
        Native.load(HelperBinary.path().getParent().toFile());
        loaded = true;
        return;
      } catch (RuntimeException | LinkageError e) {
        loadFailure = e;
      }
    }
    throw new IOException("zstd-compressed layers cannot be decoded on this host: the zstd library (zstd-jni) did "
        + "not load: " + loadFailure, loadFailure);
  }
}
