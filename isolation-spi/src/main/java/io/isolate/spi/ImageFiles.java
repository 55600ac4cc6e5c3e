package io.isolate.spi;

import io.isolate.Mount;
import io.isolate.SizeUnit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Opening the host file of an image mount ({@link Mount#image}) when a run starts, which may be long after the
 * mount was made: the file is opened without following a symbolic link in its last component, must be a regular
 * file, and must be the file that was checked (same file key before and after opening), so a link, a directory or
 * a device swapped in at the path is refused rather than read. The application chose the path, so its directory
 * components are trusted as they are.
 */
public final class ImageFiles {
  private ImageFiles() {}

  /** Opens {@code file} read-only under the rules above. */
  public static FileChannel open(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    BasicFileAttributes before = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!before.isRegularFile()) {
      throw new IOException("image " + file + " is not a regular file (symbolic links are not followed)");
    }
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    try {
      BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (before.fileKey() == null || !before.fileKey().equals(after.fileKey()) || !after.isRegularFile()) {
        throw new IOException("image " + file + " changed while it was being opened");
      }
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * The whole content of {@code file}, opened under the rules above, refused when it holds more than
   * {@code maxBytes} (counting what is really there when read, not a size seen earlier).
   */
  public static byte[] readAll(Path file, long maxBytes) throws IOException {
    try (FileChannel channel = open(file)) {
      long size = channel.size();
      if (size > maxBytes) {
        throw tooLarge(file, maxBytes);
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, size + 1));
      while (channel.read(buffer) > 0) {
        if (!buffer.hasRemaining()) {
          throw tooLarge(file, maxBytes); // it grew past the size just seen
        }
      }
      byte[] content = new byte[buffer.position()];
      buffer.flip().get(content);
      return content;
    }
  }

  private static IOException tooLarge(Path file, long maxBytes) {
    return new IOException("image " + file + " holds more than " + SizeUnit.format(maxBytes)
        + ", the most this level holds in memory");
  }
}
