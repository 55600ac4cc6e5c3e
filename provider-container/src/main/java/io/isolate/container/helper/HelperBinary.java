package io.isolate.container.helper;

import io.isolate.container.ContainerSettings;
import io.isolate.spi.SystemProperties;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Finds the {@code isolate-helper} executable the jar carries under {@code META-INF/native/linux-x86_64/} and
 * extracts it to a content-hashed file name, in the style of Netty's {@code NativeLibraryLoader}.
 *
 * <p>The directory is the system property {@value ContainerSettings#HELPER_DIR} when set, else
 * {@code java.io.tmpdir}, else {@code ~/.cache}; each gets an {@code isolate-<uid>} subdirectory, mode 0700, which must be owned by this user
 * and not writable by others. Every failed attempt is kept as a suppressed exception of the final error, and a
 * directory on a {@code noexec} mount is named as such.
 */
public final class HelperBinary {
  private static final System.Logger LOG = System.getLogger("io.isolate.os");


  static final String RESOURCE = "META-INF/native/linux-x86_64/isolate-helper";

  private static volatile Path extracted;

  private HelperBinary() {}

  /**
   * The extracted helper, extracting it on first use.
   *
   * @throws IllegalStateException with the reason when the platform is unsupported or no directory works
   */
  public static Path path() {
    Path p = extracted;
    if (p == null || !Files.isExecutable(p)) { // a temp-directory cleaner may have removed it
      synchronized (HelperBinary.class) {
        p = extracted;
        if (p == null || !Files.isExecutable(p)) {
          p = extract();
          extracted = p;
        }
      }
    }
    return p;
  }

  /** "Linux x86-64" check, with the offending values in the message; null when supported. */
  public static String unsupportedPlatform() {
    if (!SystemProperties.isLinuxX86_64()) {
      return "the OS level is only supported on Linux x86-64, this is " + SystemProperties.platform();
    }
    return null;
  }

  private static Path extract() {
    String unsupported = unsupportedPlatform();
    if (unsupported != null) {
      throw new IllegalStateException(unsupported);
    }
    byte[] bytes;
    try (InputStream in = HelperBinary.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks " + RESOURCE
            + ": it was built without a C compiler or on another platform; rebuild provider-container on Linux x86-64 with gcc");
      }
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + RESOURCE + ": " + e, e);
    }
    String name = "isolate-helper-" + sha256(bytes).substring(0, 16);
    IllegalStateException failure = new IllegalStateException("cannot extract the isolate helper to any directory");
    for (Path dir : candidateDirectories()) {
      try {
        Path helper = extractTo(dir, name, bytes);
        LOG.log(System.Logger.Level.DEBUG, "the isolate helper is " + helper);
        return helper;
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "cannot use " + dir + " for the isolate helper: " + e.getMessage());
        failure.addSuppressed(new IOException(dir + ": " + e.getMessage() + noexecHint(dir), e));
      }
    }
    throw failure;
  }

  static List<Path> candidateDirectories() {
    List<Path> dirs = new ArrayList<>();
    String uid = String.valueOf(currentUid());
    ContainerSettings.fromSystemProperties().helperDir().ifPresent(dirs::add);
    dirs.add(SystemProperties.tmpdir().resolve("isolate-" + uid));
    dirs.add(SystemProperties.userHome().resolve(".cache").resolve("isolate-" + uid));
    return dirs;
  }

  static Path extractTo(Path dir, String name, byte[] bytes) throws IOException {
    Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rwx------");
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir.getParent());
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(owner));
      } catch (FileAlreadyExistsException raced) {
        // another JVM created it; checked below
      }
    }
    checkPrivate(dir);
    Path target = dir.resolve(name);
    if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && Files.isExecutable(target)
        && sha256(Files.readAllBytes(target)).equals(sha256(bytes))) {
      return target;
    }
    io.isolate.spi.HostFiles.writeAtomically(target, bytes, PosixFilePermissions.fromString("r-x------"));
    return target;
  }

  private static void checkPrivate(Path dir) throws IOException {
    Object ownerUid = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (((Number) ownerUid).longValue() != currentUid()) {
      throw new IOException("owned by uid " + ownerUid + ", not by this user (uid " + currentUid() + ")");
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException("writable by others (" + PosixFilePermissions.toString(perms) + "); use a private directory");
    }
  }

  /** " (it is on a noexec mount: set -Disolate.container.helperDir)" when {@code dir} is on a noexec mount. */
  static String noexecHint(Path dir) {
    return noexecHint(dir, MountInfo.read());
  }

  static String noexecHint(Path dir, List<MountInfo.Entry> mounts) {
    String options = MountInfo.optionsOf(dir, mounts);
    if (options != null && List.of(options.split(",")).contains("noexec")) {
      return " (it is on a noexec mount: set -D" + ContainerSettings.HELPER_DIR + "=<a directory on an exec mount>)";
    }
    return "";
  }

  /** A JVM does not change its user or group: read once (a stat of /proc/self per start otherwise). */
  private static volatile long uid = Long.MIN_VALUE;
  private static volatile long gid = Long.MIN_VALUE;

  /** This process's user id, from /proc. */
  public static long currentUid() {
    long u = uid;
    if (u == Long.MIN_VALUE) {
      u = procSelf("unix:uid");
      uid = u;
    }
    return u;
  }

  /** This process's group id, from /proc. */
  public static long currentGid() {
    long g = gid;
    if (g == Long.MIN_VALUE) {
      g = procSelf("unix:gid");
      gid = g;
    }
    return g;
  }

  private static long procSelf(String attribute) {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), attribute)).longValue();
    } catch (IOException | UnsupportedOperationException e) {
      return -1;
    }
  }

  static String sha256(byte[] bytes) {
    return io.isolate.spi.HostFiles.sha256Hex(bytes);
  }
}
