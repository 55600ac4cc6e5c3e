package io.isolate.wasm;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.isolate.Mount;
import io.isolate.SizeUnit;
import io.isolate.spi.ImageFiles;
import io.isolate.wasm.files.ConfinedFileSystem;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files a guest can see: its preopened directories.
 *
 * <ul>
 *   <li>{@link Mount.Kind#READ_ONLY} and {@link Mount.Kind#READ_WRITE}: the host directory itself, live, as a
 *       {@link ConfinedFileSystem}. Reads and writes go straight to the host's files (a 2 GiB file is read without
 *       being held anywhere, a full disk answers the write that filled it with {@code ENOSPC}), every guest path is
 *       resolved inside the directory one component at a time by the one resolver of guest paths
 *       ({@link io.isolate.spi.ConfinedPaths}), and no host link is ever followed. A read-only mount refuses every
 *       change twice: {@link WasiImports} answers {@code EROFS} per descriptor, and the file system itself refuses.
 *       Two isolates sharing a read-write directory see each other's changes at once, as two processes do.
 *   <li>{@link Mount.Kind#FILE} and {@link Mount.Kind#IMAGE}: content in memory (an image mount is read once, so
 *       the guest never sees the host file change under it, within {@code isolate.wasm.maxMountBytes}, default
 *       256 MiB). Inside a directory mount such a file is served read-only in front of the host's files and never
 *       reaches the host; inside a tmpfs it is a file of the tmpfs; elsewhere it sits in a read-only tree
 *       preopened at {@code /}.
 *   <li>{@link Mount.Kind#TMPFS}: an empty in-memory file system
 *       (<a href="https://github.com/google/jimfs">Jimfs</a>) holding at most its size.
 * </ul>
 */
final class GuestFileSystem implements AutoCloseable {

  /** One preopened directory. */
  static final class Preopen {
    final String guestPath;
    final FileSystem fs;
    final Path root;
    final boolean readOnly;

    Preopen(String guestPath, FileSystem fs, Path root, boolean readOnly) {
      this.guestPath = guestPath;
      this.fs = fs;
      this.root = root;
      this.readOnly = readOnly;
    }
  }

  /** No mounts: no preopens (shared, it holds nothing). */
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
   * @throws IOException with a message naming the mount when a host directory or image cannot be opened
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
    List<Mount> directories = new ArrayList<>();
    List<Mount> files = new ArrayList<>();
    for (Mount m : mounts) {
      switch (m.kind()) {
        case READ_ONLY, READ_WRITE, TMPFS -> directories.add(m);
        case FILE -> files.add(m);
        case IMAGE -> {
          byte[] content;
          try {
            content = ImageFiles.readAll(m.hostPath().orElseThrow(), maxCopyBytes - copied);
          } catch (IOException e) {
            throw new IOException(e.getMessage() + " (image mounts are read into memory, "
                + SizeUnit.format(maxCopyBytes) + " at most per run: isolate.wasm.maxMountBytes)", e);
          }
          copied += content.length;
          files.add(Mount.file(m.guestPath(), content));
        }
      }
    }
    // Each file goes to the deepest directory mount holding its path: an overlay of a live directory, a file of a
    // tmpfs, or else the read-only tree at "/".
    Map<Mount, Map<String, byte[]>> placed = new LinkedHashMap<>();
    Map<String, byte[]> elsewhere = new LinkedHashMap<>();
    for (Mount f : files) {
      Mount home = deepestContaining(directories, f.guestPath());
      if (home == null) {
        elsewhere.put(relativeTo("/", f.guestPath()), f.content());
      } else {
        placed.computeIfAbsent(home, k -> new LinkedHashMap<>()).put(relativeTo(home.guestPath(), f.guestPath()),
            f.content());
      }
    }
    for (Mount m : directories) {
      Map<String, byte[]> inside = placed.getOrDefault(m, Map.of());
      if (m.kind() == Mount.Kind.TMPFS) {
        FileSystem fs = newMemoryFileSystem(m.sizeBytes());
        preopens.add(new Preopen(m.guestPath(), fs, fs.getPath("/"), false));
        write(fs, inside);
      } else {
        ConfinedFileSystem fs;
        try {
          fs = ConfinedFileSystem.open(m.hostPath().orElseThrow(), m.kind() == Mount.Kind.READ_ONLY, inside);
        } catch (IOException e) {
          throw new IOException("cannot mount " + m + ": " + e.getMessage(), e);
        }
        preopens.add(new Preopen(m.guestPath(), fs, fs.root(), m.kind() == Mount.Kind.READ_ONLY));
      }
    }
    if (!elsewhere.isEmpty()) {
      FileSystem fs = newMemoryFileSystem(Long.MAX_VALUE);
      preopens.add(new Preopen("/", fs, fs.getPath("/"), true));
      write(fs, elsewhere);
    }
    // Longer guest paths first is what wasi-libc prefers anyway; a stable order keeps fd numbers predictable.
    preopens.sort(Comparator.comparing((Preopen p) -> p.guestPath));
  }

  private static void write(FileSystem fs, Map<String, byte[]> files) throws IOException {
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Path target = fs.getPath("/").resolve(f.getKey());
      if (target.getParent() != null) {
        Files.createDirectories(target.getParent());
      }
      Files.write(target, f.getValue());
    }
  }

  private static Mount deepestContaining(List<Mount> directories, String guestPath) {
    Mount best = null;
    for (Mount m : directories) {
      boolean contains = m.guestPath().equals("/") || guestPath.startsWith(m.guestPath() + "/");
      if (contains && (best == null || m.guestPath().length() > best.guestPath().length())) {
        best = m;
      }
    }
    return best;
  }

  private static String relativeTo(String base, String path) {
    return base.equals("/") ? path.substring(1) : path.substring(base.length() + 1);
  }

  private static FileSystem newMemoryFileSystem(long maxSize) {
    Configuration.Builder config = Configuration.unix().toBuilder()
        .setWorkingDirectory("/")
        .setAttributeViews("basic", "owner", "posix", "unix");
    if (maxSize != Long.MAX_VALUE) {
      config.setMaxSize(Math.max(maxSize, 8192));
    }
    return Jimfs.newFileSystem(config.build());
  }

  List<Preopen> preopens() {
    return preopens;
  }

  @Override
  public void close() {
    for (Preopen p : preopens) {
      try {
        p.fs.close();
      } catch (IOException e) {
        // an in-memory file system has nothing to fail on, a live one holds nothing open
      }
    }
  }
}
