package io.isolate;

import io.isolate.internal.GuestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Something from the host made visible inside an isolate: a host directory (read-only or read-write), an
 * in-memory file, a size-limited tmpfs, or a host file read-only (an image). Nothing from the host is visible
 * unless mounted.
 *
 * <p>At the PARAVIRT level, where guests have no file system, each mount is a disk (virtio-blk) that the guest
 * finds by its guest path: an image or a file is a read-only disk with that content, a tmpfs an empty scratch disk
 * of that size, discarded at the end; directories cannot be disks.
 *
 * <pre>{@code
 * Mount.readOnly(Path.of("testdata"), "/data");
 * Mount.file("/etc/app.conf", "debug=true".getBytes(UTF_8));
 * Mount.image(Path.of("dataset.img"), "/dataset");
 * }</pre>
 */
public final class Mount {
  /** The kinds of mount. */
  public enum Kind {
    /** A host directory the guest can read but not change. */
    READ_ONLY,
    /** A host directory the guest can read and change. */
    READ_WRITE,
    /** A file whose content is held in memory; the guest reads it. */
    FILE,
    /** An empty, size-limited, in-memory directory (at PARAVIRT, an empty scratch disk in a sparse host file). */
    TMPFS,
    /** A host file the guest reads but cannot change (a read-only disk at the PARAVIRT level). */
    IMAGE
  }

  private final Kind kind;
  private final Path hostPath;
  private final String guestPath;
  private final byte[] content;
  private final long sizeBytes;

  private Mount(Kind kind, Path hostPath, String guestPath, byte[] content, long sizeBytes) {
    this.kind = kind;
    this.hostPath = hostPath;
    this.guestPath = guestPath;
    this.content = content;
    this.sizeBytes = sizeBytes;
  }

  /** The host directory {@code host}, read-only at {@code guestPath}. */
  public static Mount readOnly(Path host, String guestPath) {
    return directory(Kind.READ_ONLY, host, guestPath);
  }

  /** The host directory {@code host}, read-write at {@code guestPath}. */
  public static Mount readWrite(Path host, String guestPath) {
    return directory(Kind.READ_WRITE, host, guestPath);
  }

  /** A read-only file at {@code guestPath} holding {@code content}. */
  public static Mount file(String guestPath, byte[] content) {
    Objects.requireNonNull(content, "content");
    String checked = GuestPaths.check("mount guest path", guestPath);
    if (checked.equals("/")) {
      throw new InvalidSpecException("mount guest path '/' cannot be a file");
    }
    return new Mount(Kind.FILE, null, checked, content.clone(), content.length);
  }

  /**
   * The host regular file {@code file}, read-only at {@code guestPath}: a read-only file at the OS, HARDWARE and
   * PROCESS levels (the last two hold a copy in memory, taken when a run starts), a read-only disk named
   * {@code guestPath} at the PARAVIRT level (read as it is, not a snapshot). A symbolic link is refused, now and when
   * a run opens the file: the file named is the file mounted.
   */
  public static Mount image(Path file, String guestPath) {
    Objects.requireNonNull(file, "image file");
    String checked = GuestPaths.check("mount guest path", guestPath);
    if (checked.equals("/")) {
      throw new InvalidSpecException("mount guest path '/' cannot be an image");
    }
    Path absolute = file.toAbsolutePath().normalize();
    if (!Files.isRegularFile(absolute, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new InvalidSpecException("image '" + file + "' is not an existing regular file (symbolic links are not "
          + "followed)");
    }
    long size;
    try {
      size = Files.size(absolute);
    } catch (java.io.IOException e) {
      throw new InvalidSpecException("image '" + file + "' cannot be read: " + e.getMessage());
    }
    return new Mount(Kind.IMAGE, absolute, checked, null, size);
  }

  /** An empty tmpfs at {@code guestPath} holding at most {@code sizeBytes}. */
  public static Mount tmpfs(String guestPath, long sizeBytes) {
    if (sizeBytes <= 0) {
      throw new InvalidSpecException("tmpfs size (" + sizeBytes + " bytes) must be positive");
    }
    return new Mount(Kind.TMPFS, null, GuestPaths.check("mount guest path", guestPath), null, sizeBytes);
  }

  private static Mount directory(Kind kind, Path host, String guestPath) {
    Objects.requireNonNull(host, "host path");
    String checked = GuestPaths.check("mount guest path", guestPath);
    Path absolute = host.toAbsolutePath().normalize();
    if (!Files.isDirectory(absolute)) {
      throw new InvalidSpecException("mount host path '" + host + "' is not an existing directory");
    }
    return new Mount(kind, absolute, checked, null, 0);
  }

  /**
   * Parses the command-line form {@code HOST:GUEST} for a directory or image mount of {@code kind}.
   *
   * @throws InvalidSpecException when the form or either path is wrong
   */
  public static Mount parse(Kind kind, String hostColonGuest) {
    int colon = hostColonGuest.lastIndexOf(':');
    if (colon <= 0 || colon == hostColonGuest.length() - 1) {
      throw new InvalidSpecException("mount '" + hostColonGuest + "' must look like HOST_PATH:/guest/path");
    }
    Path host = Path.of(hostColonGuest.substring(0, colon));
    String guest = hostColonGuest.substring(colon + 1);
    return switch (kind) {
      case READ_ONLY -> readOnly(host, guest);
      case READ_WRITE -> readWrite(host, guest);
      case IMAGE -> image(host, guest);
      default -> throw new InvalidSpecException("only directory and image mounts have a HOST:GUEST form, not " + kind);
    };
  }

  public Kind kind() {
    return kind;
  }

  /** The host directory ({@link Kind#READ_ONLY}, {@link Kind#READ_WRITE}) or file ({@link Kind#IMAGE}). */
  public Optional<Path> hostPath() {
    return Optional.ofNullable(hostPath);
  }

  /** Where the mount appears inside the isolate: absolute and normalized. */
  public String guestPath() {
    return guestPath;
  }

  /** The content of a {@link Kind#FILE} mount (a copy); empty for other kinds. */
  public byte[] content() {
    return content == null ? new byte[0] : content.clone();
  }

  /**
   * The size of a {@link Kind#TMPFS} or {@link Kind#FILE} mount in bytes, or of an {@link Kind#IMAGE} when it was
   * mounted; 0 for directories.
   */
  public long sizeBytes() {
    return sizeBytes;
  }

  public boolean isWritable() {
    return kind == Kind.READ_WRITE || kind == Kind.TMPFS;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case READ_ONLY -> "ro " + hostPath + ":" + guestPath;
      case READ_WRITE -> "rw " + hostPath + ":" + guestPath;
      case FILE -> "file " + guestPath + " (" + content.length + " bytes)";
      case TMPFS -> "tmpfs " + guestPath + " (" + SizeUnit.format(sizeBytes) + ")";
      case IMAGE -> "image " + hostPath + ":" + guestPath;
    };
  }
}
