package io.isolate.container.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * File access to a cgroup file system. The real kernel file system removes a cgroup with a plain rmdir although
 * its control files are listed; a fake tree in a temporary directory (used by tests) needs a recursive delete,
 * which {@link #forTests()} does.
 */
class CgroupFiles {
  static final CgroupFiles KERNEL = new CgroupFiles(false);

  private final boolean recursiveRemove;

  CgroupFiles(boolean recursiveRemove) {
    this.recursiveRemove = recursiveRemove;
  }

  /** For fake hierarchies in ordinary directories. */
  static CgroupFiles forTests() {
    return new CgroupFiles(true);
  }

  void write(Path file, String value) throws IOException {
    try {
      Files.writeString(file, value, StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw new IOException("cannot write '" + value + "' to " + file + ": " + e.getMessage(), e);
    }
  }

  /** The file's content trimmed, or null when it cannot be read. */
  String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  long readLong(Path file) {
    String s = read(file);
    if (s == null || s.isEmpty() || s.equals("max")) {
      return -1;
    }
    try {
      return Long.parseLong(s.split("\\s+")[0]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The value of {@code key} in a flat-keyed file ("key value" lines), or -1. */
  long readKey(Path file, String key) {
    String s = read(file);
    if (s == null) {
      return -1;
    }
    for (String line : s.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 2 && f[0].equals(key)) {
        try {
          return Long.parseLong(f[1]);
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  List<Long> pids(Path procsFile) {
    List<Long> pids = new ArrayList<>();
    String s = read(procsFile);
    if (s == null || s.isEmpty()) {
      return pids;
    }
    for (String line : s.split("\n")) {
      try {
        pids.add(Long.parseLong(line.trim()));
      } catch (NumberFormatException ignored) {
        // not a pid
      }
    }
    return pids;
  }

  void mkdir(Path dir) throws IOException {
    try {
      Files.createDirectory(dir);
    } catch (IOException e) {
      throw new IOException("cannot create cgroup " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Removes a cgroup directory; false when it is still busy. */
  boolean remove(Path dir) {
    try {
      if (recursiveRemove) {
        try (Stream<Path> s = Files.walk(dir)) {
          for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(p);
          }
        }
      } else {
        Files.delete(dir);
      }
      return true;
    } catch (NoSuchFileException gone) {
      return true;
    } catch (IOException busy) {
      return false;
    }
  }

  static void kill(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }
}
