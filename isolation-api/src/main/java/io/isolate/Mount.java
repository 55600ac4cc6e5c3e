package io.isolate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Something from the host made visible inside an isolate: a host directory (read-only or read-write), an
 * in-memory file, or a size-limited tmpfs. Nothing from the host is visible unless mounted.
 *
 * <pre>{@code
 * Mount.readOnly(Path.of("testdata"), "/data");
 * Mount.file("/etc/app.conf", "debug=true".getBytes(UTF_8));
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
    /** An empty, size-limited, in-memory directory. */
    TMPFS
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
   * Parses the command-line form {@code HOST:GUEST} for a directory mount of {@code kind}.
   *
   * @throws InvalidSpecException when the form or either path is wrong
   */
  public static Mount parse(Kind kind, String hostColonGuest) {
    int colon = hostColonGuest.lastIndexOf(':');
    if (colon <= 0 || colon == hostColonGuest.length() - 1) {
      throw new InvalidSpecException("mount '" + hostColonGuest + "' must look like HOST_DIR:/guest/path");
    }
    Path host = Path.of(hostColonGuest.substring(0, colon));
    String guest = hostColonGuest.substring(colon + 1);
    return switch (kind) {
      case READ_ONLY -> readOnly(host, guest);
      case READ_WRITE -> readWrite(host, guest);
      default -> throw new InvalidSpecException("only directory mounts have a HOST:GUEST form, not " + kind);
    };
  }

  public Kind kind() {
    return kind;
  }

  /** The host directory, for {@link Kind#READ_ONLY} and {@link Kind#READ_WRITE}. */
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

  /** The size of a {@link Kind#TMPFS} or {@link Kind#FILE} mount in bytes; 0 for directories. */
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
    };
  }
}
