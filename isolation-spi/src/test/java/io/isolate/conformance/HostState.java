package io.isolate.conformance;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What the tests of a level that uses the host's kernel (cgroups, other users) look at on the host: only their own
 * run's part of it, since other builds on the same host make and remove isolates at the same time.
 */
public final class HostState {
  private HostState() {}

  /**
   * The isolate cgroup directories (named {@code isolate-...}, probes excluded), in every mounted hierarchy, that
   * hold one of {@code pids}: a run's own cgroups, found from its processes while it runs.
   */
  public static Set<Path> isolateCgroupsHolding(Set<Long> pids) throws IOException {
    Set<String> wanted = new HashSet<>();
    pids.forEach(pid -> wanted.add(Long.toString(pid)));
    Set<Path> found = new TreeSet<>();
    for (Path hierarchy : cgroupMounts()) {
      List<Path> procs;
      try (Stream<Path> s = Files.walk(hierarchy, 7)) {
        procs = s.filter(p -> p.getFileName() != null && p.getFileName().toString().equals("cgroup.procs")
            && p.toString().contains("/isolate-") && !p.toString().contains("/isolate-probe")).toList();
      } catch (IOException | UncheckedIOException e) {
        continue; // a hierarchy we cannot list, or a directory removed while we walked: none of the run's
      }
      for (Path p : procs) {
        try {
          if (Files.readAllLines(p).stream().map(String::trim).anyMatch(wanted::contains)) {
            Path dir = p.getParent();
            while (!dir.getFileName().toString().startsWith("isolate-")) {
              dir = dir.getParent();
            }
            found.add(dir);
          }
        } catch (IOException gone) {
          // removed meanwhile: not the run's while it runs
        }
      }
    }
    return found;
  }

  /** The mount points of the cgroup hierarchies (v1 and v2), from {@code /proc/self/mounts}. */
  private static List<Path> cgroupMounts() throws IOException {
    List<Path> mounts = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 2 && f[2].startsWith("cgroup")) {
        mounts.add(Path.of(f[1].replace("\\040", " ")));
      }
    }
    return mounts;
  }

  /**
   * This JVM's test class path copied into {@code dir}, where any user can read it (another user cannot read root's
   * Maven repository), as a class path for a JVM run as that user.
   */
  public static String classPathReadableByOthers(Path dir) throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
        .split(File.pathSeparator)) {
      Path source = Path.of(entry);
      if (!Files.exists(source) || !(Files.isDirectory(source) || entry.endsWith(".jar"))) {
        continue;
      }
      Path copy = dir.resolve(i++ + "-" + source.getFileName());
      if (Files.isDirectory(source)) {
        try (Stream<Path> walk = Files.walk(source)) {
          for (Path p : walk.toList()) {
            Path to = copy.resolve(source.relativize(p).toString());
            if (Files.isDirectory(p)) {
              Files.createDirectories(to);
            } else {
              Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
            }
            setReadableByAll(to);
          }
        }
      } else {
        Files.copy(source, copy);
        setReadableByAll(copy);
      }
      entries.add(copy.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  private static void setReadableByAll(Path p) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
        : Files.isExecutable(p) ? "rwxr-xr-x" : "rw-r--r--"));
  }
}
