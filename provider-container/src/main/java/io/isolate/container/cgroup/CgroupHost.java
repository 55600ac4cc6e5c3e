package io.isolate.container.cgroup;

import io.isolate.container.ContainerSettings;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.helper.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds out which cgroup hierarchy this host offers and where this process sits in it, from
 * {@code /proc/self/mountinfo} and {@code /proc/self/cgroup}.
 *
 * <p>The unified (v2) hierarchy is used when it offers the memory, cpu and pids controllers; otherwise the v1
 * hierarchies are used (hybrid hosts mount an empty v2 tree next to v1 controllers). Cgroups are created below
 * {@value ContainerSettings#CGROUP_PARENT} (a path relative to each hierarchy's root) when that system property is
 * set, else, for a root JVM, below this process's own cgroup. A JVM that is not root needs a subtree delegated to
 * its user: the one that property names, checked against the kernel's delegation rules, or on cgroup v2 one found
 * from its own cgroup ({@link CgroupDelegation}). {@link Detection#how()} says which applies.
 */
public final class CgroupHost {
  private static final System.Logger LOG = System.getLogger("io.isolate.os");

  static final List<String> V1_CONTROLLERS = List.of("memory", "cpu", "cpuacct", "pids");
  static final List<String> V2_CONTROLLERS = List.of("memory", "cpu", "pids");

  /**
   * The outcome: a driver and how it comes to enforce limits, or the reason there is none.
   *
   * @param driver the driver, or null
   * @param reason why there is none (what to do about it included), or null
   * @param how how limits are enforced: "as root", or through which delegated cgroup (for doctor())
   */
  public record Detection(CgroupDriver driver, String reason, String how) {
    /** A detection for a root JVM. */
    public Detection(CgroupDriver driver, String reason) {
      this(driver, reason, driver == null ? null : "as root");
    }

    public boolean found() {
      return driver != null;
    }

    /** What doctor() says: "limits enforced HOW: DRIVER", or "no limits: REASON". */
    public String summary() {
      return found() ? "limits enforced " + how + ": " + driver.describe() : "no limits: " + reason;
    }
  }

  private CgroupHost() {}

  /**
   * {@link #detect()}, then creates and removes a cgroup with the detected driver, so that a hierarchy which is
   * mounted but not writable or not delegated to this user is reported as unusable, with the reason.
   */
  public static Detection detectAndVerify() {
    if (ContainerSettings.fromSystemProperties().cgroupsDisabled()) {
      return new Detection(null, "cgroups are switched off by -D" + ContainerSettings.CGROUPS_DISABLED + "=true");
    }
    Detection d = detect();
    if (!d.found()) {
      return d;
    }
    sweepStale(d.driver(), java.time.Duration.ofMinutes(1));
    try {
      d.driver().create("isolate-probe-" + ProcessHandle.current().pid(), new CgroupLimits(64L << 20, 1, 64)).close();
      LOG.log(System.Logger.Level.DEBUG, "cgroups: " + d.driver().describe());
      return d;
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "cgroups: " + d.driver().describe() + " is not usable", e);
      return new Detection(null, d.driver().describe() + " is not usable: " + e.getMessage()
          + (HelperBinary.currentUid() == 0 || d.how() == null ? "" : " (" + d.how() + ")"));
    }
  }

  /**
   * The names of the cgroups this library makes: an isolate's run ({@code isolate-ID-RUN}, ID 16 hex digits) and
   * the probe's. Nothing else is swept, so a delegated subtree an administrator named {@code isolate-...} is safe.
   */
  static final java.util.regex.Pattern ISOLATE_CGROUP =
      java.util.regex.Pattern.compile("isolate-(probe-[0-9]+|[0-9a-f]{16}-[0-9]+)");

  /**
   * Removes empty isolate cgroups older than {@code minAge} (a minute at probe time) that a crashed JVM left
   * behind. A cgroup that still holds processes cannot be removed, so a running isolate is safe; the age protects
   * one that was just created and is still empty.
   */
  public static void sweepStale(CgroupDriver driver, java.time.Duration minAge) {
    long cutoff = System.currentTimeMillis() - minAge.toMillis();
    for (Path parent : driver.parents()) {
      try (var s = Files.list(parent)) {
        for (Path dir : s.toList()) {
          if (ISOLATE_CGROUP.matcher(dir.getFileName().toString()).matches() && Files.isDirectory(dir)
              && Files.getLastModifiedTime(dir).toMillis() < cutoff) {
            CgroupFiles.KERNEL.remove(dir);
          }
        }
      } catch (IOException | RuntimeException e) {
        // nothing to sweep here, or a cgroup still in use by another JVM: the next sweep tries again
        LOG.log(System.Logger.Level.DEBUG, "sweeping stale cgroups under " + parent + ": " + e);
      }
    }
  }

  public static Detection detect() {
    List<String> procCgroup;
    try {
      procCgroup = Files.readAllLines(Path.of("/proc/self/cgroup"));
    } catch (IOException e) {
      return new Detection(null, "cannot read /proc/self/cgroup: " + e.getMessage());
    }
    ContainerSettings settings = ContainerSettings.fromSystemProperties();
    return detect(MountInfo.read(), procCgroup, settings.cgroupParent().orElse(null), CgroupFiles.KERNEL,
        HelperBinary.currentUid(), CgroupDelegation.Access.KERNEL,
        settings.cgroupMoveJvm());
  }

  /** As root: the JVM's own cgroup, or the one given, without permission checks. */
  static Detection detect(List<MountInfo.Entry> mounts, List<String> procCgroup, String parentOverride,
      CgroupFiles files) {
    return detect(mounts, procCgroup, parentOverride, files, 0, path -> true, false);
  }

  /**
   * The driver for a JVM of user {@code uid}. Root may make cgroups anywhere: the JVM's own cgroup or the one
   * given. Another user needs a delegated subtree (see {@link CgroupDelegation}): the one given, checked; on v1
   * the JVM's own cgroups if they happen to be delegated; on v2 its cgroup's parent or its own cgroup.
   */
  static Detection detect(List<MountInfo.Entry> mounts, List<String> procCgroup, String parentOverride,
      CgroupFiles files, long uid, CgroupDelegation.Access access, boolean moveJvm) {
    boolean asRoot = uid == 0;
    String given = "the delegated cgroup subtree " + parentOverride + " given with -D"
        + ContainerSettings.CGROUP_PARENT;
    Map<String, String> ownPaths = new HashMap<>(); // "memory" -> "/a/b", "" -> v2 path
    for (String line : procCgroup) {
      String[] f = line.split(":", 3);
      if (f.length != 3) {
        continue;
      }
      if (f[1].isEmpty()) {
        ownPaths.put("", f[2]);
      } else {
        for (String c : f[1].split(",")) {
          ownPaths.put(c, f[2]);
        }
      }
    }
    String v2Problem = null;
    for (MountInfo.Entry m : mounts) {
      if (m.fsType().equals("cgroup2")) {
        Path root = Path.of(m.mountPoint());
        String controllers = files.read(root.resolve("cgroup.controllers"));
        List<String> have = controllers == null ? List.of() : List.of(controllers.split("\\s+"));
        List<String> missing = new ArrayList<>(V2_CONTROLLERS);
        missing.removeAll(have);
        if (missing.isEmpty()) {
          String own = ownPaths.getOrDefault("", "/");
          if (asRoot) {
            Path parent = under(root, parentOverride != null ? parentOverride : own);
            return new Detection(new CgroupV2Driver(parent, files), null);
          }
          if (parentOverride == null) {
            return CgroupDelegation.findV2(root, own, files, access, uid, moveJvm);
          }
          Path parent = under(root, parentOverride);
          String problem = CgroupDelegation.checkV2(parent, under(root, own), given, files, access, uid, moveJvm);
          return problem != null ? new Detection(null, problem)
              : new Detection(new CgroupV2Driver(parent, files), null, "through " + given);
        }
        v2Problem = "the cgroup v2 hierarchy at " + root + " lacks the controllers " + missing;
      }
    }
    Map<String, Path> v1Dirs = new HashMap<>();
    for (MountInfo.Entry m : mounts) {
      if (!m.fsType().equals("cgroup")) {
        continue;
      }
      for (String option : m.superOptions().split(",")) {
        if (V1_CONTROLLERS.contains(option) && !v1Dirs.containsKey(option)) {
          String own = parentOverride != null ? parentOverride : ownPaths.getOrDefault(option, "/");
          v1Dirs.put(option, under(Path.of(m.mountPoint()), own));
        }
      }
    }
    List<String> missing = new ArrayList<>(V1_CONTROLLERS);
    missing.removeAll(v1Dirs.keySet());
    if (missing.isEmpty()) {
      if (asRoot) {
        return new Detection(new CgroupV1Driver(v1Dirs, files), null);
      }
      String named = parentOverride != null ? given : "this JVM's own cgroups";
      Map<String, Path> ordered = new java.util.LinkedHashMap<>();
      V1_CONTROLLERS.forEach(c -> ordered.put(c, v1Dirs.get(c)));
      String problem = CgroupDelegation.checkV1(ordered, named, access, uid);
      if (problem == null) {
        return new Detection(new CgroupV1Driver(v1Dirs, files), null, "through " + named);
      }
      if (parentOverride != null) {
        return new Detection(null, problem);
      }
      return new Detection(null, "uid " + uid + " may not make cgroups in this JVM's own cgroups (such as "
          + ordered.get("memory") + "); to enforce limits without root, have root make a cgroup subtree in each of"
          + " the " + String.join(", ", V1_CONTROLLERS) + " hierarchies, chown it to uid " + uid + " and name it"
          + " with -D" + ContainerSettings.CGROUP_PARENT);
    }
    String v1Problem = v1Dirs.isEmpty() ? "no cgroup v1 controller is mounted"
        : "the cgroup v1 controllers " + missing + " are not mounted";
    return new Detection(null, (v2Problem == null ? "no cgroup v2 hierarchy is mounted" : v2Problem) + "; "
        + v1Problem);
  }

  private static Path under(Path root, String path) {
    return root.resolve(relative(path)).normalize();
  }

  static String relative(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    return p.isEmpty() ? "." : p;
  }
}
