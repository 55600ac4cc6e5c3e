package io.isolate.conformance;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
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
   * hold one of {@code pids}: a run's own cgroups, read from each process's {@code /proc/PID/cgroup} while it runs.
   */
  public static Set<Path> isolateCgroupsHolding(Set<Long> pids) throws IOException {
    List<String[]> mounts = new ArrayList<>(); // {type, mount point, options}
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 3 && f[2].startsWith("cgroup")) {
        mounts.add(new String[] {f[2], f[1].replace("\\040", " "), "," + f[3] + ","});
      }
    }
    Set<Path> found = new TreeSet<>();
    for (long pid : pids) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"));
      } catch (IOException ended) {
        continue;
      }
      for (String line : lines) {
        String[] f = line.split(":", 3); // hierarchy id, controllers ("" on v2), path
        if (f.length != 3) {
          continue;
        }
        List<String> components = List.of(f[2].split("/"));
        int at = -1;
        for (int k = 0; k < components.size(); k++) {
          if (components.get(k).startsWith("isolate-") && !components.get(k).startsWith("isolate-probe")) {
            at = k;
            break;
          }
        }
        if (at < 0) {
          continue;
        }
        String relative = String.join("/", components.subList(1, at + 1));
        for (String[] m : mounts) {
          boolean v2 = m[0].equals("cgroup2");
          boolean match = f[1].isEmpty() ? v2 : !v2 && java.util.Arrays.stream(f[1].split(","))
              .allMatch(c -> m[2].contains("," + c + ","));
          if (match) {
            found.add(Path.of(m[1]).resolve(relative));
          }
        }
      }
    }
    return found;
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
