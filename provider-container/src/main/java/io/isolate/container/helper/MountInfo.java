package io.isolate.container.helper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code /proc/self/mountinfo}: which mount holds a path, its options, and how many mounts exist. */
public final class MountInfo {
  /** One line of mountinfo: the mount point, its per-mount options and its file system type. */
  public record Entry(String mountPoint, String options, String fsType, String source, String superOptions) {}

  private MountInfo() {}

  public static List<Entry> read() {
    return read(Path.of("/proc/self/mountinfo"));
  }

  /** Parses a mountinfo file. */
  public static List<Entry> read(Path file) {
    List<Entry> entries = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      return entries;
    }
    for (String line : lines) {
      String[] f = line.split(" ");
      int dash = List.of(f).indexOf("-");
      if (f.length < 6 || dash < 0 || dash + 3 > f.length) {
        continue;
      }
      entries.add(new Entry(unescape(f[4]), f[5], f[dash + 1], f[dash + 2], dash + 3 < f.length ? f[dash + 3] : ""));
    }
    return entries;
  }

  /** The options of the mount holding {@code path}, or null when unknown. */
  static String optionsOf(Path path, List<Entry> mounts) {
    Entry best = holder(path, mounts);
    return best == null ? null : best.options();
  }

  /** The mount holding {@code path} (the last mounted one with the longest matching mount point). */
  public static Entry holder(Path path) {
    return holder(path, read());
  }

  static Entry holder(Path path, List<Entry> mounts) {
    String p = path.toAbsolutePath().normalize().toString();
    Entry best = null;
    for (Entry e : mounts) {
      String mp = e.mountPoint();
      boolean covers = mp.equals("/") || p.equals(mp) || p.startsWith(mp + "/");
      if (covers && (best == null || mp.length() >= best.mountPoint().length())) {
        best = e;
      }
    }
    return best;
  }

  private static String unescape(String s) {
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
  }
}
