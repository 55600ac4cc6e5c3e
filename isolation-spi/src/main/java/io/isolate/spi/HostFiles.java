package io.isolate.spi;

import io.isolate.internal.Sha256;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Set;

/**
 * The two things every provider does with the files it keeps on the host (caches, helpers, records): name content by
 * its SHA-256, and replace a file so that a reader sees the old content or the new, never half of it.
 */
public final class HostFiles {
  private HostFiles() {}

  /** A fresh SHA-256 digest (every JVM has one). */
  public static MessageDigest newSha256() {
    return Sha256.newDigest();
  }

  /** The SHA-256 of {@code bytes}, in lower-case hex. */
  public static String sha256Hex(byte[] bytes) {
    return Sha256.hex(bytes);
  }

  /**
   * Replaces {@code file} with {@code bytes}: written to a new file beside it (readable and writable by the owner
   * only while it is written), given {@code permissions}, and renamed over it atomically where the file system can
   * (otherwise plainly). A failure leaves the old file as it was and no temporary file behind.
   */
  public static void writeAtomically(Path file, byte[] bytes, Set<PosixFilePermission> permissions)
      throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.write(tmp, bytes);
      Files.setPosixFilePermissions(tmp, permissions);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** {@link #writeAtomically(Path, byte[], Set)} for a file readable by all and writable by its owner (rw-r--r--). */
  public static void writeAtomically(Path file, byte[] bytes) throws IOException {
    writeAtomically(file, bytes, PosixFilePermissions.fromString("rw-r--r--"));
  }
}
