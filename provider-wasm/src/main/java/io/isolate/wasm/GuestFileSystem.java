package io.isolate.wasm;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.isolate.Mount;
import io.isolate.SizeUnit;
import io.isolate.spi.ImageFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The files a guest can see: its preopened directories, each an in-memory file system of its own.
 *
 * <p><b>Why copies.</b> Chicory's WASI resolves guest paths against a {@link java.nio.file.Path} and rejects
 * absolute paths and a leading {@code ..}, but on the host's file system the operating system follows symbolic
 * links in every path component, and Chicory follows a final symlink by reading its target as a host path. A
 * symlink inside a mounted directory (planted beforehand, or created by the guest) would therefore lead out of
 * it. Instead of a second, custom path resolver, every directory mount is copied into a fresh
 * <a href="https://github.com/google/jimfs">Jimfs</a> file system holding nothing but that directory: there is
 * no path, absolute, relative or through any symlink, that leads from it to the host. Symlinks are copied as
 * symlinks; inside the copy an absolute target resolves against the mount's own root, as in a chroot.
 *
 * <ul>
 *   <li>{@link Mount.Kind#READ_ONLY}: copied in before each run. {@link WasiImports} refuses with {@code EROFS}
 *       every WASI call that would change it (open for writing, create, truncate, unlink, rename, symlink, link,
 *       set times), so the guest sees a read-only file system, not a scratch copy.
 *   <li>{@link Mount.Kind#READ_WRITE}: copied in before each run and written back when the run ends, however it
 *       ends: new and changed regular files and new directories are written, deleted entries are deleted.
 *       Symlinks the guest creates are not written back (they would be the one way to plant an escape on the
 *       host); the write-back itself refuses to follow host symlinks ({@code NOFOLLOW_LINKS}, parent directories
 *       checked by their real path). Each file is written to a new file in its host directory and renamed
 *       over the target, so a host file is always either as it was or complete, even when the disk fills up; a
 *       write-back that fails fails the run ({@link Outcome#writeBackFailed}). Changes are detected by
 *       modification time and size; Jimfs gets a clock
 *       that never repeats, so every write changes the time. Two isolates sharing a read-write directory do not
 *       see each other's changes while running, and the last one to end wins.
 *   <li>{@link Mount.Kind#FILE}: placed into the directory mount that contains its guest path, or else into a
 *       read-only directory tree preopened at {@code /}; never written back.
 *   <li>{@link Mount.Kind#TMPFS}: an empty file system holding at most its size.
 * </ul>
 *
 * The copies cost memory and time in proportion to the mounted directories, which is why mounts are meant for
 * inputs and results, not for whole trees: the total copied per run is capped by
 * {@code isolate.wasm.maxMountBytes} (default 256 MiB), and a bigger mount fails to start with a message saying so.
 * The same number caps what a guest can write into each read-write mount (a full one answers {@code EIO}, as
 * Chicory maps Jimfs' "out of space"), so that no guest can fill the JVM's heap through its files.
 */
final class GuestFileSystem implements AutoCloseable {

  /** One preopened directory. */
  static final class Preopen {
    final String guestPath;
    final FileSystem fs;
    final Path root;
    final boolean readOnly;
    final Mount mount;
    final Map<String, FileTime> snapshot = new HashMap<>();
    final Map<String, Long> snapshotSizes = new HashMap<>();
    final Set<String> notWrittenBack = new HashSet<>();

    Preopen(String guestPath, FileSystem fs, boolean readOnly, Mount mount) {
      this.guestPath = guestPath;
      this.fs = fs;
      this.root = fs.getPath("/");
      this.readOnly = readOnly;
      this.mount = mount;
    }
  }

  /** No mounts: no preopens, nothing to copy or write back (shared, it holds nothing). */
  private static final GuestFileSystem EMPTY = new GuestFileSystem(0);

  private final List<Preopen> preopens = new ArrayList<>();
  private long copied;
  private final long maxCopyBytes;

  private GuestFileSystem(long maxCopyBytes) {
    this.maxCopyBytes = maxCopyBytes;
  }

  /**
   * Builds the guest's file systems from {@code mounts}.
   *
   * @throws IOException with a message naming the mount when a host directory cannot be copied
   */
  static GuestFileSystem create(List<Mount> mounts, long maxBytes) throws IOException {
    if (mounts.isEmpty()) {
      return EMPTY;
    }
    GuestFileSystem gfs = new GuestFileSystem(maxBytes);
    try {
      gfs.build(mounts);
    } catch (IOException | RuntimeException e) {
      gfs.close();
      throw e;
    }
    return gfs;
  }

  private void build(List<Mount> mounts) throws IOException {
    List<Mount> files = new ArrayList<>();
    for (Mount m : mounts) {
      switch (m.kind()) {
        case READ_ONLY, READ_WRITE -> {
          // A read-write copy may grow up to the copy cap: the guest cannot fill the JVM's heap through it.
          Preopen p = new Preopen(m.guestPath(), newFileSystem(maxCopyBytes), m.kind() == Mount.Kind.READ_ONLY, m);
          preopens.add(p); // first, so that close() releases it even when the copy fails
          copyIn(m, p);
        }
        case TMPFS -> preopens.add(new Preopen(m.guestPath(), newFileSystem(m.sizeBytes()), false, m));
        case FILE -> files.add(m);
        case IMAGE -> {
          // a copy, like directories (the guest never sees the host file change under it), within the same budget
          byte[] content = ImageFiles.readAll(m.hostPath().orElseThrow(), maxCopyBytes - copied);
          copied += content.length;
          files.add(Mount.file(m.guestPath(), content));
        }
      }
    }
    Preopen synthetic = null;
    for (Mount f : files) {
      Preopen home = deepestContaining(f.guestPath());
      if (home == null) {
        if (synthetic == null) {
          synthetic = new Preopen("/", newFileSystem(Long.MAX_VALUE), true, null);
          preopens.add(synthetic);
        }
        home = synthetic;
      }
      String relative = relativeTo(home.guestPath, f.guestPath());
      Path target = home.root.resolve(relative);
      if (target.getParent() != null) {
        Files.createDirectories(target.getParent());
      }
      Files.write(target, f.content());
      home.notWrittenBack.add(relative);
    }
    // Longer guest paths first is what wasi-libc prefers anyway; a stable order keeps fd numbers predictable.
    preopens.sort(Comparator.comparing((Preopen p) -> p.guestPath));
  }

  private Preopen deepestContaining(String guestPath) {
    Preopen best = null;
    for (Preopen p : preopens) {
      boolean contains = p.guestPath.equals("/") || guestPath.startsWith(p.guestPath + "/");
      if (contains && (best == null || p.guestPath.length() > best.guestPath.length())) {
        best = p;
      }
    }
    return best;
  }

  private static String relativeTo(String base, String path) {
    return base.equals("/") ? path.substring(1) : path.substring(base.length() + 1);
  }

  private static FileSystem newFileSystem(long maxSize) {
    AtomicLong ticks = new AtomicLong();
    Instant base = Instant.now();
    Configuration.Builder config = Configuration.unix().toBuilder()
        .setWorkingDirectory("/")
        .setAttributeViews("basic", "owner", "posix", "unix")
        // A clock that never repeats: every change moves the modification time, which write-back relies on.
        .setFileTimeSource(() -> FileTime.from(base.plusNanos(ticks.incrementAndGet() * 1000)));
    if (maxSize != Long.MAX_VALUE) {
      config.setMaxSize(Math.max(maxSize, 8192));
    }
    return Jimfs.newFileSystem(config.build());
  }

  private void copyIn(Mount m, Preopen p) throws IOException {
    // The mount's own path may be a symlink (the application chose it); nothing below it is followed.
    Path hostRoot = m.hostPath().orElseThrow().toRealPath();
    Files.walkFileTree(hostRoot, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        String rel = hostRoot.relativize(dir).toString();
        if (!rel.isEmpty()) {
          Files.createDirectory(p.root.resolve(rel));
          p.snapshot.put(rel + "/", null);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        String rel = hostRoot.relativize(file).toString();
        Path target = p.root.resolve(rel);
        if (attrs.isSymbolicLink()) {
          // Kept as a link: inside the copy it can only reach the copy.
          Files.createSymbolicLink(target, p.fs.getPath(Files.readSymbolicLink(file).toString()));
          p.notWrittenBack.add(rel);
        } else if (attrs.isRegularFile()) {
          copied += attrs.size();
          if (copied > maxCopyBytes) {
            throw new IOException("mount " + m + " holds more than " + SizeUnit.format(maxCopyBytes)
                + " (isolate.wasm.maxMountBytes); PROCESS isolates copy mounted directories into memory");
          }
          try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            Files.copy(in, target);
          }
          BasicFileAttributes copy = Files.readAttributes(target, BasicFileAttributes.class);
          p.snapshot.put(rel, copy.lastModifiedTime());
          p.snapshotSizes.put(rel, copy.size());
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        throw new IOException("cannot copy " + file + " of mount " + m + ": " + e.getMessage(), e);
      }
    });
  }

  List<Preopen> preopens() {
    return preopens;
  }

  /**
   * Writes the changes of every read-write mount back to its host directory. Failures of single entries are
   * collected, not thrown, so that one bad entry does not lose the others; each file is replaced whole or not at
   * all ({@link #replace}). Any failure fails the run ({@link Outcome#writeBackFailed}).
   *
   * @return a description of what could not be written back, empty when everything was
   */
  String writeBack() {
    StringBuilder problems = new StringBuilder();
    for (Preopen p : preopens) {
      if (p.readOnly || p.mount == null || p.mount.kind() != Mount.Kind.READ_WRITE) {
        continue;
      }
      try {
        writeBack(p, problems);
      } catch (IOException | RuntimeException e) {
        problems.append("write-back of ").append(p.mount).append(" failed: ").append(e.getMessage()).append("; ");
      }
    }
    return problems.length() == 0 ? "" : problems.substring(0, problems.length() - 2); // without the last "; "
  }

  private static void writeBack(Preopen p, StringBuilder problems) throws IOException {
    Path realRoot = p.mount.hostPath().orElseThrow().toRealPath();
    Path hostRoot = realRoot;
    Set<String> present = new HashSet<>();
    Files.walkFileTree(p.root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        String rel = p.root.relativize(dir).toString();
        if (!rel.isEmpty()) {
          present.add(rel + "/");
          try {
            Path host = confined(realRoot, hostRoot, rel);
            if (!Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
              Files.createDirectory(host);
            }
          } catch (IOException e) {
            problems.append("directory ").append(rel).append(": ").append(e.getMessage()).append("; ");
            return FileVisitResult.SKIP_SUBTREE;
          }
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        String rel = p.root.relativize(file).toString();
        present.add(rel);
        if (!attrs.isRegularFile() || p.notWrittenBack.contains(rel)) {
          return FileVisitResult.CONTINUE;
        }
        FileTime before = p.snapshot.get(rel);
        if (before != null && before.equals(attrs.lastModifiedTime())
            && p.snapshotSizes.get(rel) == attrs.size()) {
          return FileVisitResult.CONTINUE;
        }
        try {
          replace(file, confined(realRoot, hostRoot, rel));
        } catch (IOException e) {
          problems.append("file ").append(rel).append(": ").append(e.getMessage()).append("; ");
        }
        return FileVisitResult.CONTINUE;
      }
    });
    // Deleted entries: children before parents.
    List<String> gone = new ArrayList<>();
    for (String rel : p.snapshot.keySet()) {
      if (!present.contains(rel) && !p.notWrittenBack.contains(rel)) {
        gone.add(rel);
      }
    }
    gone.sort(Comparator.comparing(String::length).reversed());
    for (String rel : gone) {
      String name = rel.endsWith("/") ? rel.substring(0, rel.length() - 1) : rel;
      try {
        Files.deleteIfExists(confined(realRoot, hostRoot, name));
      } catch (IOException e) {
        problems.append("delete ").append(name).append(": ").append(e.getMessage()).append("; ");
      }
    }
  }

  /**
   * Replaces {@code host} by the content of {@code source} so that the host file is, at every moment and whatever
   * fails, either as it was or complete: the content goes to a new file in the same directory (same file system),
   * is forced to the disk, and is then renamed over the target in one step. A write that fails (the disk is full)
   * deletes the new file and leaves the target alone. An existing target's permissions are kept; a new file gets
   * the default ones, as if created in place.
   */
  private static void replace(Path source, Path host) throws IOException {
    Path dir = host.getParent();
    Path tmp = null;
    for (int attempt = 0; tmp == null; attempt++) {
      // not derived from the target's name, which may be as long as a name can be
      Path candidate = dir.resolve(".isolate-write-back-" + Long.toHexString(ThreadLocalRandom.current().nextLong())
          + ".tmp");
      try {
        // CREATE_NEW never opens what is there, a symlink planted under this name included
        Files.newByteChannel(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        tmp = candidate;
      } catch (FileAlreadyExistsException e) {
        if (attempt == 10) {
          throw e;
        }
      }
    }
    boolean moved = false;
    try {
      try (InputStream in = Files.newInputStream(source);
          FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
        in.transferTo(Channels.newOutputStream(out));
        out.force(true);
      }
      if (Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
        try {
          Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(host, LinkOption.NOFOLLOW_LINKS));
        } catch (UnsupportedOperationException e) {
          // not a POSIX file system: the defaults it gives
        }
      }
      Files.move(tmp, host, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /**
   * The host path of {@code rel} under the mount, after checking that its parent really lies inside the mount
   * (no symlinked directory in between) and that it is not itself a symlink.
   */
  private static Path confined(Path realRoot, Path hostRoot, String rel) throws IOException {
    Path host = hostRoot.resolve(rel).normalize();
    Path parent = host.getParent();
    if (parent == null || !parent.toRealPath().startsWith(realRoot)) {
      throw new IOException("refused: " + host + " is not inside " + realRoot);
    }
    if (Files.isSymbolicLink(host)) {
      throw new IOException("refused: " + host + " is a symbolic link on the host");
    }
    return host;
  }

  @Override
  public void close() {
    for (Preopen p : preopens) {
      try {
        p.fs.close();
      } catch (IOException e) {
        // an in-memory file system has nothing to fail on
      }
    }
  }
}
