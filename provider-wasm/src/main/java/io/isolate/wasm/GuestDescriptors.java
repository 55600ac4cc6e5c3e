package io.isolate.wasm;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link WasiImports} knows about a guest's open file descriptors beyond Chicory's own table, which is private
 * to Chicory: whether a descriptor is read-only, the in-memory path of a directory, and the flags of a file that
 * Chicory cannot change once the file is open ({@code APPEND}, {@code NONBLOCK}).
 *
 * <p>Descriptors are numbered by Chicory; this table follows it through {@code path_open}, {@code fd_renumber} and
 * {@code fd_close}. The preopens are descriptors 3, 4, ... in the order Chicory allocates them. All of this runs on
 * the guest's one thread.
 */
final class GuestDescriptors {

  /** One descriptor's record. */
  static final class Entry {
    final boolean readOnly;
    /** The path Chicory holds for a directory descriptor, null for anything else. */
    final Path directory;
    /** A file's {@code APPEND} and {@code NONBLOCK} flags, which this layer keeps instead of Chicory. */
    int flags;
    /** Whether {@code flags} applies: the descriptor is a regular file opened through {@code path_open}. */
    final boolean file;

    Entry(boolean readOnly, Path directory, boolean file, int flags) {
      this.readOnly = readOnly;
      this.directory = directory;
      this.file = file;
      this.flags = flags;
    }
  }

  private final Map<Integer, Entry> entries = new HashMap<>();
  /** How many open files have APPEND set, so that a write to a file without it costs one comparison. */
  private int appending;

  GuestDescriptors(List<GuestFileSystem.Preopen> preopens) {
    for (int i = 0; i < preopens.size(); i++) {
      GuestFileSystem.Preopen p = preopens.get(i);
      entries.put(3 + i, new Entry(p.readOnly, p.root, false, 0));
    }
  }

  Entry get(int fd) {
    return entries.get(fd);
  }

  boolean readOnly(int fd) {
    Entry e = entries.get(fd);
    return e != null && e.readOnly;
  }

  /** The path of directory descriptor {@code fd}, or null when it is not a directory this table knows. */
  Path directory(int fd) {
    Entry e = entries.get(fd);
    return e == null ? null : e.directory;
  }

  /** Whether writes to {@code fd} go to the end of the file. */
  boolean appends(int fd) {
    if (appending == 0) {
      return false;
    }
    Entry e = entries.get(fd);
    return e != null && e.file && (e.flags & WasiNumbers.FDFLAGS_APPEND) != 0;
  }

  void opened(int fd, Entry entry) {
    closed(fd); // Chicory reuses the number of a closed descriptor
    entries.put(fd, entry);
    if (entry.file && (entry.flags & WasiNumbers.FDFLAGS_APPEND) != 0) {
      appending++;
    }
  }

  void setFlags(Entry entry, int flags) {
    boolean before = (entry.flags & WasiNumbers.FDFLAGS_APPEND) != 0;
    boolean after = (flags & WasiNumbers.FDFLAGS_APPEND) != 0;
    entry.flags = flags;
    appending += (after ? 1 : 0) - (before ? 1 : 0);
  }

  void closed(int fd) {
    Entry e = entries.remove(fd);
    if (e != null && e.file && (e.flags & WasiNumbers.FDFLAGS_APPEND) != 0) {
      appending--;
    }
  }

  /** {@code fd_renumber}: {@code from} now answers as {@code to}, whose old descriptor Chicory closed. */
  void renumbered(int from, int to) {
    if (from == to) {
      return;
    }
    Entry moved = entries.remove(from);
    closed(to);
    if (moved != null) {
      entries.put(to, moved);
    }
  }
}
