package io.isolate.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What the policy needs to know about the host's files: whether a path exists and where a symbolic link
 * points. An interface so that golden-argv tests describe a host instead of reading this one.
 */
public interface HostLayout {
  /** The real host. */
  HostLayout REAL = new HostLayout() {
    private final Map<Path, List<Path>> hidden = new ConcurrentHashMap<>();
    /** Whether each path {@link #unreadableByOthers} found is a directory, from the same (cached) listing. */
    private final Map<Path, Boolean> hiddenIsDirectory = new ConcurrentHashMap<>();

    @Override
    public List<Path> unreadableByOthers(Path dir) {
      return hidden.computeIfAbsent(dir, d -> {
        List<Path> found = new ArrayList<>();
        collect(d, found, 0);
        return List.copyOf(found);
      });
    }

    private void collect(Path dir, List<Path> found, int depth) {
      if (depth > 8) {
        return;
      }
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.sorted().toList()) {
          if (Files.isSymbolicLink(p) || !(Files.isRegularFile(p) || Files.isDirectory(p))) {
            continue;
          }
          if (!Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OTHERS_READ)) {
            found.add(p);
            hiddenIsDirectory.put(p, Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS));
          } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            collect(p, found, depth + 1);
          }
        }
      } catch (IOException | RuntimeException e) {
        // unreadable: nothing to list
      }
    }

    @Override
    public boolean exists(Path path) {
      return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public Optional<String> symlinkTarget(Path path) {
      try {
        // one lstat, no exception for the usual answer (not a link), then readlink for a link
        if (!Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isSymbolicLink()) {
          return Optional.empty();
        }
        return Optional.of(Files.readSymbolicLink(path).toString());
      } catch (IOException | UnsupportedOperationException e) {
        return Optional.empty();
      }
    }

    @Override
    public boolean isDirectory(Path path) {
      Boolean hiddenDirectory = hiddenIsDirectory.get(path);
      return hiddenDirectory != null ? hiddenDirectory : Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
    }
  };

  /** True when {@code path} exists (a symbolic link counts, whatever it points to). */
  boolean exists(Path path);

  /** The target of {@code path} when it is a symbolic link. */
  Optional<String> symlinkTarget(Path path);

  boolean isDirectory(Path path);

  /**
   * Files and directories below {@code dir} that others may not read (such as {@code /etc/shadow}). When the JVM
   * is root, the isolate's root owns root-owned files of the host directories it is given, so these are masked in
   * the host read-only root.
   */
  List<Path> unreadableByOthers(Path dir);

  /**
   * Whether the kernel has id-mapped mounts, also as overlayfs layers (Linux 5.19): a root JVM's isolates then run
   * as unprivileged host ids, with the host files they are given id-mapped; on an older kernel their root is host
   * root (the doctor says so).
   */
  default boolean idMappedMounts() {
    return kernelAtLeast(io.isolate.spi.SystemProperties.kernelRelease(), 5, 19);
  }

  /** Whether kernel release {@code release} ("6.1.0-13-amd64") is {@code major.minor} or later. */
  static boolean kernelAtLeast(String release, int major, int minor) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
    if (!m.find()) {
      return false;
    }
    int ma = Integer.parseInt(m.group(1));
    int mi = Integer.parseInt(m.group(2));
    return ma > major || ma == major && mi >= minor;
  }
}
