package io.isolate.vm.linux;

import io.isolate.spi.ConfinedPaths;
import io.isolate.vm.kvm.Errno;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The guest's file system: nothing but the mounts the application granted. The root and the directories leading to
 * mount points are synthetic and read-only. Paths are resolved by {@link ConfinedPaths}, the one resolver of guest
 * paths (PROCESS mounts use it too): one component at a time in the guest's namespace, {@code ..} never climbing above
 * the guest root, symbolic links found in host directories followed as guest paths (an absolute target starts again
 * at the guest root), so no path can reach a host file outside a mount. The conformance kit's hostile-path suite
 * runs against it ({@code VfsHostilePathsTest}).
 */
final class Vfs {
  static final int O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200, O_TRUNC = 01000,
      O_APPEND = 02000, O_DIRECTORY = 0200000, O_NOFOLLOW = 0400000;

  /** A granted mount: a host directory, or an in-memory file when {@code content} is not null. */
  record MountPoint(String guestPath, Path host, boolean writable, byte[] content) {}

  enum Kind { SYNTHETIC_DIRECTORY, MEMORY_FILE, HOST, DEVICE, MISSING }

  /** The names in the guest's {@code /dev} (unless the application mounts something at or under /dev). */
  static final List<String> DEVICES = List.of("full", "null", "random", "stderr", "stdin", "stdout", "urandom",
      "zero");

  /** A resolved path. {@code host} is set for HOST; {@code exists} tells whether the host file exists. */
  record Node(Kind kind, String guestPath, Path host, boolean writable, MountPoint mount, boolean symlink) {
    boolean exists() {
      return kind != Kind.MISSING && (kind != Kind.HOST || symlink || Files.exists(host, LinkOption.NOFOLLOW_LINKS));
    }
  }

  private final List<MountPoint> mounts;
  private final Set<String> syntheticDirs = new HashSet<>();
  private final boolean devices;

  Vfs(List<MountPoint> mounts) {
    this.mounts = List.copyOf(mounts);
    this.devices = mounts.stream().noneMatch(m -> m.guestPath().equals("/dev") || m.guestPath().startsWith("/dev/"));
    syntheticDirs.add("/");
    if (devices) {
      syntheticDirs.add("/dev");
    }
    for (MountPoint m : mounts) {
      String p = m.guestPath();
      int slash;
      while ((slash = p.lastIndexOf('/')) > 0) {
        p = p.substring(0, slash);
        syntheticDirs.add(p);
      }
    }
  }

  /**
   * Resolves {@code path} (relative to {@code cwd} unless absolute), following a final symlink if asked, with the one
   * resolver of guest paths ({@link ConfinedPaths}) over the guest's namespace ({@link #tree}).
   */
  Node resolve(String cwd, String path, boolean followLast) {
    List<String> from = new ArrayList<>();
    for (String c : cwd.split("/")) {
      if (!c.isEmpty()) {
        from.add(c);
      }
    }
    try {
      return lookup(ConfinedPaths.resolve(tree, from, path, followLast).components());
    } catch (ConfinedPaths.ResolveException e) {
      throw new LinuxError(e.reason().errno);
    } catch (IOException e) {
      throw new LinuxError(Errno.EIO);
    }
  }

  /**
   * The guest's namespace as the resolver sees it: the synthetic directories, devices and in-memory files of
   * {@link #lookup}, and under a mount the host directory's entries, each seen without following it.
   */
  private final ConfinedPaths.Tree tree = new ConfinedPaths.Tree() {
    @Override
    public ConfinedPaths.Kind kind(List<String> components) {
      Node n = lookup(components);
      return switch (n.kind()) {
        case SYNTHETIC_DIRECTORY -> ConfinedPaths.Kind.DIRECTORY;
        case MEMORY_FILE -> ConfinedPaths.Kind.FILE;
        case DEVICE -> ConfinedPaths.Kind.OTHER;
        case MISSING -> ConfinedPaths.Kind.MISSING;
        case HOST -> n.symlink() ? ConfinedPaths.Kind.SYMLINK
            : Files.isDirectory(n.host(), LinkOption.NOFOLLOW_LINKS) ? ConfinedPaths.Kind.DIRECTORY
            : Files.isRegularFile(n.host(), LinkOption.NOFOLLOW_LINKS) ? ConfinedPaths.Kind.FILE
            : Files.exists(n.host(), LinkOption.NOFOLLOW_LINKS) ? ConfinedPaths.Kind.OTHER
            : ConfinedPaths.Kind.MISSING;
      };
    }

    @Override
    public String readLink(List<String> components) throws IOException {
      return Files.readSymbolicLink(lookup(components).host()).toString();
    }
  };

  private Node lookup(List<String> components) {
    String gp = "/" + String.join("/", components);
    if (devices && components.size() == 2 && components.get(0).equals("dev") && DEVICES.contains(components.get(1))) {
      return new Node(Kind.DEVICE, gp, null, true, null, false);
    }
    MountPoint best = null;
    for (MountPoint m : mounts) {
      String mp = m.guestPath();
      if ((gp.equals(mp) || mp.equals("/") || gp.startsWith(mp + "/"))
          && (best == null || mp.length() > best.guestPath().length())) {
        best = m;
      }
    }
    if (best != null && best.content() != null) {
      if (gp.equals(best.guestPath())) {
        return new Node(Kind.MEMORY_FILE, gp, null, false, best, false);
      }
      throw new LinuxError(Errno.ENOTDIR);
    }
    if (best != null) {
      String rest = best.guestPath().equals("/") ? gp.substring(1)
          : gp.substring(Math.min(gp.length(), best.guestPath().length() + 1));
      Path host = rest.isEmpty() ? best.host() : best.host().resolve(rest);
      boolean symlink = !rest.isEmpty() && Files.isSymbolicLink(host);
      if (symlink || Files.exists(host, LinkOption.NOFOLLOW_LINKS) || !syntheticDirs.contains(gp)) {
        return new Node(Kind.HOST, gp, host, best.writable(), best, symlink);
      }
    }
    if (syntheticDirs.contains(gp)) {
      return new Node(Kind.SYNTHETIC_DIRECTORY, gp, null, false, null, false);
    }
    return new Node(Kind.MISSING, gp, null, false, null, false);
  }

  static boolean isDirectory(Node n) {
    return n.kind() == Kind.SYNTHETIC_DIRECTORY
        || (n.kind() == Kind.HOST && Files.isDirectory(n.host(), LinkOption.NOFOLLOW_LINKS));
  }

  Stat stat(Node n) {
    return switch (n.kind()) {
      case SYNTHETIC_DIRECTORY -> Stat.directory(ino(n.guestPath()));
      case MEMORY_FILE -> Stat.regular(ino(n.guestPath()), n.mount().content().length, 0444);
      case DEVICE -> {
        DeviceFile.Device d = DeviceFile.Device.named(n.guestPath().substring("/dev/".length()));
        yield Stat.characterDevice(ino(n.guestPath()), d == null ? (136 << 8) : d.rdev); // std*: a pty's major
      }
      case HOST -> {
        if (!n.exists()) {
          throw new LinuxError(Errno.ENOENT);
        }
        yield statHost(n.host());
      }
      case MISSING -> throw new LinuxError(Errno.ENOENT);
    };
  }

  private static long ino(String guestPath) {
    return 0x40000000L + (guestPath.hashCode() & 0x3FFFFFFFL);
  }

  static Stat statHost(Path host) {
    try {
      Map<String, Object> a = Files.readAttributes(host, "unix:mode,ino,dev,nlink,size,lastModifiedTime",
          LinkOption.NOFOLLOW_LINKS);
      FileTime t = (FileTime) a.get("lastModifiedTime");
      java.time.Instant i = t.toInstant();
      return new Stat((Long) a.get("dev"), (Long) a.get("ino"), (Integer) a.get("mode"), (Integer) a.get("nlink"),
          Stat.GUEST_UID, Stat.GUEST_GID, 0, (Long) a.get("size"), i.getEpochSecond(), i.getNano());
    } catch (NoSuchFileException e) {
      throw new LinuxError(Errno.ENOENT);
    } catch (IOException | UnsupportedOperationException e) {
      throw new LinuxError(Errno.EIO);
    }
  }

  /** Opens a resolved node with open(2) {@code flags}. */
  OpenFile open(Node n, int flags) {
    int access = flags & O_ACCMODE;
    boolean wantWrite = access == O_WRONLY || access == O_RDWR || (flags & O_TRUNC) != 0;
    switch (n.kind()) {
      case MISSING -> throw new LinuxError((flags & O_CREAT) != 0 ? Errno.EROFS : Errno.ENOENT);
      case DEVICE -> {
        DeviceFile.Device d = DeviceFile.Device.named(n.guestPath().substring("/dev/".length()));
        if (d == null) {
          throw new LinuxError(Errno.ENXIO); // stdin, stdout, stderr: opened by the caller as duplicates
        }
        return new DeviceFile(d);
      }
      case SYNTHETIC_DIRECTORY -> {
        if (wantWrite) {
          throw new LinuxError(Errno.EISDIR);
        }
        return new DirectoryFile(syntheticEntries(n.guestPath()), stat(n), n.guestPath());
      }
      case MEMORY_FILE -> {
        if (wantWrite) {
          throw new LinuxError(Errno.EROFS);
        }
        if ((flags & O_DIRECTORY) != 0) {
          throw new LinuxError(Errno.ENOTDIR);
        }
        return new MemoryFile(n.mount().content(), n.guestPath(), ino(n.guestPath()));
      }
      default -> {
        return openHost(n, flags, wantWrite);
      }
    }
  }

  private OpenFile openHost(Node n, int flags, boolean wantWrite) {
    boolean exists = n.exists();
    if (n.symlink()) {
      throw new LinuxError(Errno.ELOOP); // O_NOFOLLOW on a link, or a link that could not be followed
    }
    if (exists && (flags & O_CREAT) != 0 && (flags & O_EXCL) != 0) {
      throw new LinuxError(Errno.EEXIST);
    }
    if (!exists && (flags & O_CREAT) == 0) {
      throw new LinuxError(Errno.ENOENT);
    }
    if ((wantWrite || !exists) && !n.writable()) {
      throw new LinuxError(Errno.EROFS);
    }
    if (exists && Files.isDirectory(n.host(), LinkOption.NOFOLLOW_LINKS)) {
      if (wantWrite) {
        throw new LinuxError(Errno.EISDIR);
      }
      return new DirectoryFile(hostEntries(n.host()), statHost(n.host()), n.guestPath());
    }
    if ((flags & O_DIRECTORY) != 0) {
      throw new LinuxError(exists ? Errno.ENOTDIR : Errno.ENOENT);
    }
    if (exists && !Files.isRegularFile(n.host(), LinkOption.NOFOLLOW_LINKS)) {
      throw new LinuxError(Errno.EACCES); // devices, sockets and fifos of the host stay out of reach
    }
    Set<OpenOption> options = new HashSet<>();
    options.add(LinkOption.NOFOLLOW_LINKS);
    int access = flags & O_ACCMODE;
    boolean read = access == 0 || access == O_RDWR;
    boolean write = access == O_WRONLY || access == O_RDWR;
    if (read) {
      options.add(StandardOpenOption.READ);
    }
    if (write || (flags & (O_TRUNC | O_CREAT)) != 0 && !exists) {
      options.add(StandardOpenOption.WRITE);
    }
    if ((flags & O_CREAT) != 0) {
      options.add(StandardOpenOption.CREATE);
    }
    if ((flags & O_TRUNC) != 0 && write) {
      options.add(StandardOpenOption.TRUNCATE_EXISTING);
    }
    try {
      FileChannel ch = FileChannel.open(n.host(), options);
      return new HostFile(ch, n.guestPath(), n.host(), read, write, flags & O_APPEND);
    } catch (IOException e) {
      throw new LinuxError(errno(e));
    }
  }

  static int errno(IOException e) {
    if (e instanceof NoSuchFileException) {
      return Errno.ENOENT;
    }
    if (e instanceof FileAlreadyExistsException) {
      return Errno.EEXIST;
    }
    if (e instanceof DirectoryNotEmptyException) {
      return Errno.ENOTEMPTY;
    }
    if (e instanceof NotDirectoryException) {
      return Errno.ENOTDIR;
    }
    if (e instanceof AccessDeniedException) {
      return Errno.EACCES;
    }
    String m = String.valueOf(e.getMessage());
    if (m.contains("Is a directory")) {
      return Errno.EISDIR;
    }
    if (m.contains("Not a directory")) {
      return Errno.ENOTDIR;
    }
    if (m.contains("Too many levels of symbolic links")) {
      return Errno.ELOOP;
    }
    return Errno.EIO;
  }

  private List<DirectoryFile.Entry> syntheticEntries(String dir) {
    TreeSet<String> names = new TreeSet<>();
    String prefix = dir.equals("/") ? "/" : dir + "/";
    for (MountPoint m : mounts) {
      if (m.guestPath().startsWith(prefix) && m.guestPath().length() > prefix.length()) {
        String rest = m.guestPath().substring(prefix.length());
        int slash = rest.indexOf('/');
        names.add(slash < 0 ? rest : rest.substring(0, slash));
      }
    }
    List<DirectoryFile.Entry> entries = new ArrayList<>();
    entries.add(new DirectoryFile.Entry(".", ino(dir), 4));
    entries.add(new DirectoryFile.Entry("..", ino(dir), 4));
    if (dir.equals("/dev") && devices) {
      names.addAll(DEVICES);
    } else if (dir.equals("/") && devices) {
      names.add("dev");
    }
    for (String name : names) {
      String child = prefix + name;
      boolean file = mounts.stream().anyMatch(m -> m.guestPath().equals(child) && m.content() != null);
      boolean device = devices && dir.equals("/dev");
      entries.add(new DirectoryFile.Entry(name, ino(child), device ? 2 : file ? 8 : 4));
    }
    return entries;
  }

  private static List<DirectoryFile.Entry> hostEntries(Path dir) {
    List<DirectoryFile.Entry> entries = new ArrayList<>();
    entries.add(new DirectoryFile.Entry(".", 1, 4));
    entries.add(new DirectoryFile.Entry("..", 1, 4));
    try (var stream = Files.newDirectoryStream(dir)) {
      List<Path> children = new ArrayList<>();
      stream.forEach(children::add);
      children.sort(null);
      for (Path p : children) {
        int type = Files.isSymbolicLink(p) ? 10 : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? 4
            : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? 8 : 0;
        long ino;
        try {
          ino = (Long) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
          ino = 1;
        }
        entries.add(new DirectoryFile.Entry(p.getFileName().toString(), ino, type));
      }
    } catch (IOException e) {
      throw new LinuxError(errno(e));
    }
    return entries;
  }

  // ---- changes (read-write mounts only) -------------------------------------------------------------------------

  private static void requireWritableHost(Node n) {
    if (n.kind() != Kind.HOST || !n.writable()) {
      throw new LinuxError(n.kind() == Kind.MISSING ? Errno.ENOENT : Errno.EROFS);
    }
  }

  void mkdir(Node n) {
    requireWritableHost(n);
    if (n.exists()) {
      throw new LinuxError(Errno.EEXIST);
    }
    try {
      Files.createDirectory(n.host());
    } catch (IOException e) {
      throw new LinuxError(errno(e));
    }
  }

  void unlink(Node n, boolean directory) {
    if (!n.exists()) {
      throw new LinuxError(Errno.ENOENT);
    }
    requireWritableHost(n);
    if (n.host().equals(n.mount().host())) {
      throw new LinuxError(Errno.EBUSY); // the mount point itself
    }
    boolean isDir = !n.symlink() && Files.isDirectory(n.host(), LinkOption.NOFOLLOW_LINKS);
    if (directory != isDir) {
      throw new LinuxError(directory ? Errno.ENOTDIR : Errno.EISDIR);
    }
    try {
      Files.delete(n.host());
    } catch (IOException e) {
      throw new LinuxError(errno(e));
    }
  }

  void rename(Node from, Node to) {
    if (!from.exists()) {
      throw new LinuxError(Errno.ENOENT);
    }
    requireWritableHost(from);
    requireWritableHost(to);
    if (from.mount() != to.mount()) {
      throw new LinuxError(Errno.EXDEV);
    }
    try {
      Files.move(from.host(), to.host(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new LinuxError(errno(e));
    }
  }

  String readlink(Node n) {
    if (!n.exists()) {
      throw new LinuxError(Errno.ENOENT);
    }
    if (!n.symlink()) {
      throw new LinuxError(Errno.EINVAL);
    }
    try {
      return Files.readSymbolicLink(n.host()).toString();
    } catch (IOException e) {
      throw new LinuxError(errno(e));
    }
  }
}
