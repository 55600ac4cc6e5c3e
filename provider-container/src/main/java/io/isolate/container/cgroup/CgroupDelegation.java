package io.isolate.container.cgroup;

import io.isolate.container.ContainerSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a JVM that is not root may make its isolates' cgroups, by the kernel's delegation rules (Documentation/
 * admin-guide/cgroup-v2.rst, "Delegation"; cgroup-v1/cgroups.rst):
 *
 * <ul>
 *   <li>making a child cgroup needs write permission on the parent directory; the kernel gives a new cgroup's
 *       directory and files the owner of its parent directory (v1 and v2), so the user who owns a subtree may
 *       write the limits of every cgroup made inside it;
 *   <li>v1: a process is moved by writing into the destination's {@code cgroup.procs} or {@code tasks} (owned by
 *       the user, see above) a process whose uid is the writer's; each controller is its own hierarchy, so the
 *       subtree must exist, owned by the user, in each one the library uses (memory, cpu, cpuacct, pids);
 *   <li>v2: moving a process also needs write permission on {@code cgroup.procs} of the common ancestor of its
 *       source and destination cgroups; a cgroup's children get only the controllers its
 *       {@code cgroup.controllers} lists and its {@code cgroup.subtree_control} enables; and a cgroup other than
 *       the root that holds processes cannot enable controllers for its children ("no internal processes").
 * </ul>
 *
 * <p>A subtree given with {@value ContainerSettings#CGROUP_PARENT} is checked against these rules. On cgroup v2
 * without it, {@link #findV2} looks at this JVM's own cgroup ({@code 0::/path} in {@code /proc/self/cgroup}): its
 * parent, when delegated, takes the isolates' cgroups beside the JVM's (nothing moves; what a systemd user scope
 * with {@code Delegate=yes} under a user's {@code user@.service} offers); else its own cgroup, when delegated and
 * {@value ContainerSettings#CGROUP_MOVE_JVM} allows moving the JVM's processes into a leaf first (what rootless
 * podman and crun do in a delegated cgroup).
 */
final class CgroupDelegation {
  /** Whether this process may write a file or a directory (access(2) with W_OK for the real file system). */
  interface Access {
    boolean writable(Path path);

    Access KERNEL = Files::isWritable;
  }

  private CgroupDelegation() {}

  /**
   * What keeps the v1 directories {@code dirs} (controller to directory) from taking isolates' cgroups of user
   * {@code uid}, or null when nothing does. {@code named} says where the directories come from, for the message.
   */
  static String checkV1(Map<String, Path> dirs, String named, Access access, long uid) {
    List<String> absent = new ArrayList<>();
    Map<Path, String> unwritable = new LinkedHashMap<>();
    for (Map.Entry<String, Path> e : dirs.entrySet()) {
      Path dir = e.getValue();
      if (!Files.isDirectory(dir)) {
        absent.add(e.getKey() + " (" + dir + ")");
      } else if (!access.writable(dir) && !unwritable.containsKey(dir)) {
        unwritable.put(dir, owner(dir));
      }
    }
    if (!absent.isEmpty()) {
      return named + " is missing from the cgroup v1 hierarchies " + String.join(", ", absent) + ": as root, make it"
          + " in each of the " + String.join(", ", CgroupHost.V1_CONTROLLERS) + " hierarchies and chown it to uid "
          + uid;
    }
    if (!unwritable.isEmpty()) {
      List<String> which = new ArrayList<>();
      unwritable.forEach((dir, owner) -> which.add(dir + " (" + owner + ")"));
      return "uid " + uid + " has no write permission on " + String.join(", ", which) + ", so it cannot make cgroups"
          + " in " + named + ": as root, chown it to uid " + uid + " in each hierarchy";
    }
    return null;
  }

  /**
   * What keeps the v2 cgroup {@code dir} from taking isolates' cgroups of user {@code uid} whose JVM runs in
   * {@code own} (both absolute paths under the hierarchy's root), or null when nothing does.
   */
  static String checkV2(Path dir, Path own, String named, CgroupFiles files, Access access, long uid,
      boolean moveJvm) {
    if (!Files.isDirectory(dir)) {
      return named + " (" + dir + ") does not exist";
    }
    String listed = files.read(dir.resolve("cgroup.controllers"));
    List<String> missing = new ArrayList<>(CgroupHost.V2_CONTROLLERS);
    missing.removeAll(listed == null ? List.of() : List.of(listed.split("\\s+")));
    if (!missing.isEmpty()) {
      return named + " (" + dir + ") lacks the controllers " + missing + ": its parent's cgroup.subtree_control"
          + " does not pass them down (systemd: Delegate=yes, or Delegate=memory cpu pids)";
    }
    if (!access.writable(dir)) {
      return "uid " + uid + " has no write permission on " + named + " (" + dir + ", " + owner(dir)
          + "), so it cannot make cgroups there";
    }
    Path control = dir.resolve("cgroup.subtree_control");
    String enabled = files.read(control);
    boolean delegates = enabled != null && List.of(enabled.split("\\s+")).containsAll(CgroupHost.V2_CONTROLLERS);
    if (!delegates && !access.writable(control)) {
      return "uid " + uid + " has no write permission on " + control + " (" + owner(control) + "), so it cannot"
          + " enable the controllers for the isolates' cgroups in " + named;
    }
    Path ancestor = commonAncestor(own, dir);
    if (!access.writable(ancestor.resolve("cgroup.procs"))) {
      return "uid " + uid + " cannot move processes from its own cgroup " + own + " into " + named + ": cgroup v2"
          + " needs write permission on cgroup.procs of their common ancestor " + ancestor + " ("
          + owner(ancestor.resolve("cgroup.procs")) + ")";
    }
    if (!delegates && !files.pids(dir.resolve("cgroup.procs")).isEmpty()) {
      if (!dir.equals(own)) {
        return named + " (" + dir + ") holds processes, so it cannot enable controllers for children (cgroup v2's"
            + " no-internal-process rule)";
      }
      if (!moveJvm) {
        return named + " (" + dir + ") holds this JVM's processes, so it cannot enable controllers for children"
            + " (cgroup v2's no-internal-process rule): -D" + ContainerSettings.CGROUP_MOVE_JVM + "=true moves them"
            + " into " + CgroupV2Driver.JVM_LEAF + " first, as rootless podman does";
      }
    }
    return null;
  }

  /**
   * The cgroup v2 parent for a JVM of user {@code uid} that runs in {@code ownPath} (relative to {@code root}) and
   * was given none: its cgroup's parent if delegated to it (the isolates' cgroups beside the JVM's), else its own
   * cgroup if delegated to it and {@code moveJvm} (the JVM's processes moved into a leaf, the isolates' cgroups
   * beside that leaf); else none, with the reasons and what to do.
   */
  static CgroupHost.Detection findV2(Path root, String ownPath, CgroupFiles files, Access access, long uid,
      boolean moveJvm) {
    Path own = root.resolve(CgroupHost.relative(ownPath)).normalize();
    String howToGetOne = "; to enforce limits without root, run the JVM in a cgroup delegated to uid " + uid
        + " (e.g. systemd-run --user --scope -p Delegate=yes java ...), or name one with -D"
        + ContainerSettings.CGROUP_PARENT;
    if (own.equals(root.normalize())) {
      return new CgroupHost.Detection(null, "this JVM (uid " + uid + ") runs in the root cgroup of " + root
          + ", which only root may divide" + howToGetOne);
    }
    Path parent = own.getParent();
    String parentProblem = checkV2(parent, own, "the parent of this JVM's cgroup", files, access, uid, false);
    if (parentProblem == null) {
      return new CgroupHost.Detection(new CgroupV2Driver(parent, files), null,
          "through the delegated cgroup " + parent + " (the parent of this JVM's cgroup, found in /proc/self/cgroup;"
              + " isolates' cgroups beside the JVM's)");
    }
    String ownProblem = checkV2(own, own, "this JVM's cgroup", files, access, uid, moveJvm);
    if (ownProblem == null) {
      return new CgroupHost.Detection(new CgroupV2Driver(own, files), null,
          "through the delegated cgroup " + own + " (this JVM's own, found in /proc/self/cgroup; the JVM's"
              + " processes in " + CgroupV2Driver.JVM_LEAF + ", isolates' cgroups beside it)");
    }
    return new CgroupHost.Detection(null, "no cgroup is delegated to uid " + uid + ": " + parentProblem + "; "
        + ownProblem + howToGetOne);
  }

  static Path commonAncestor(Path a, Path b) {
    Path p = a.normalize();
    Path q = b.normalize();
    while (p != null && !q.startsWith(p)) {
      p = p.getParent();
    }
    return p == null ? q.getRoot() : p;
  }

  private static String owner(Path p) {
    try {
      Object uid = Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return "owned by uid " + uid + ", mode " + Integer.toOctalString(((Number) mode).intValue() & 07777);
    } catch (IOException | RuntimeException e) {
      return "owner unknown";
    }
  }
}
