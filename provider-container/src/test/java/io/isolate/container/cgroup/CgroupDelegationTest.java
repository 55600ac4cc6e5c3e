package io.isolate.container.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.container.ContainerSettings;
import io.isolate.container.helper.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which cgroup a JVM that is not root uses, against fake trees in which the test decides what the user may write.
 * The v2 cases (a cgroup found through {@code /proc/self/cgroup}) can only be checked this way on this cgroup v1
 * host; the v1 subtree given with {@value ContainerSettings#CGROUP_PARENT} also runs for real in
 * {@code DelegatedCgroupTest}.
 */
class CgroupDelegationTest {
  static final long UID = 1000;
  static final String SCOPE = "user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope";
  static final String APP_SLICE = "user.slice/user-1000.slice/user@1000.service/app.slice";

  /** The paths the user may write. */
  final Set<Path> writable = new HashSet<>();
  final CgroupDelegation.Access access = writable::contains;

  private static MountInfo.Entry mount(Path at, String type, String superOptions) {
    return new MountInfo.Entry(at.toString(), "rw", type, "cgroup", superOptions);
  }

  /** A cgroup directory with its controllers and the processes it holds. */
  private static Path cgroup(Path dir, String controllers, String subtreeControl, String procs) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("cgroup.controllers"), controllers);
    Files.writeString(dir.resolve("cgroup.subtree_control"), subtreeControl);
    Files.writeString(dir.resolve("cgroup.procs"), procs);
    return dir;
  }

  /** Delegated to the user as systemd does it: the directory, cgroup.procs and cgroup.subtree_control. */
  private void delegate(Path dir) {
    writable.addAll(List.of(dir, dir.resolve("cgroup.procs"), dir.resolve("cgroup.subtree_control")));
  }

  private CgroupHost.Detection v2(Path root, String own, String given, boolean moveJvm) {
    return CgroupHost.detect(List.of(mount(root, "cgroup2", "rw")), List.of("0::/" + own), given,
        CgroupFiles.forTests(), UID, access, moveJvm);
  }

  /** A v2 host whose user manager delegates memory, cpu and pids down to the JVM's scope. */
  private Path v2Host(Path root) throws IOException {
    cgroup(root, "cpu memory pids io", "cpu memory pids", "");
    cgroup(root.resolve(APP_SLICE), "cpu memory pids", "cpu memory pids", "");
    cgroup(root.resolve(SCOPE), "cpu memory pids", "", "4242\n");
    return root;
  }

  @Test
  void v2UsesTheParentOfTheJvmsCgroupWhenItIsDelegatedAndMakesIsolatesBesideTheJvm(@TempDir Path root)
      throws IOException {
    v2Host(root);
    delegate(root.resolve(APP_SLICE));
    delegate(root.resolve(SCOPE));
    CgroupHost.Detection d = v2(root, SCOPE, null, false);
    CgroupV2Driver driver = assertInstanceOf(CgroupV2Driver.class, d.driver(), d::toString);
    assertEquals(root.resolve(APP_SLICE), driver.parent());
    assertTrue(d.summary().startsWith("limits enforced through the delegated cgroup " + root.resolve(APP_SLICE)
        + " (the parent of this JVM's cgroup, found in /proc/self/cgroup; isolates' cgroups beside the JVM's)"),
        d.summary());
    Path dir = root.resolve(APP_SLICE).resolve("isolate-1");
    driver.createWithKernelFiles(dir, "isolate-1", new CgroupLimits(1 << 20, 1, 8)).close();
    assertEquals("4242\n", Files.readString(root.resolve(SCOPE).resolve("cgroup.procs")), "the JVM stays put");
    assertFalse(Files.exists(dir));
  }

  @Test
  void v2UsesTheJvmsOwnDelegatedCgroupOnlyWhenAllowedToMoveTheJvmIntoALeaf(@TempDir Path root) throws IOException {
    v2Host(root);
    delegate(root.resolve(SCOPE)); // a system unit with Delegate=yes and User=: its parent is root's
    CgroupHost.Detection refused = v2(root, SCOPE, null, false);
    assertFalse(refused.found());
    assertTrue(refused.reason().startsWith("no cgroup is delegated to uid 1000: uid 1000 has no write permission on"
        + " the parent of this JVM's cgroup"), refused.reason());
    assertTrue(refused.reason().contains("holds this JVM's processes") && refused.reason().contains(
        "-D" + ContainerSettings.CGROUP_MOVE_JVM + "=true"), refused.reason());
    assertTrue(refused.reason().endsWith("or name one with -D" + ContainerSettings.CGROUP_PARENT), refused.reason());

    CgroupHost.Detection d = v2(root, SCOPE, null, true);
    CgroupV2Driver driver = assertInstanceOf(CgroupV2Driver.class, d.driver(), d::toString);
    assertEquals(root.resolve(SCOPE), driver.parent());
    assertTrue(d.how().contains("this JVM's own") && d.how().contains(CgroupV2Driver.JVM_LEAF), d.how());
  }

  @Test
  void v2SkipsAParentThatDoesNotPassTheControllersDown(@TempDir Path root) throws IOException {
    v2Host(root);
    cgroup(root.resolve(APP_SLICE), "memory pids", "memory pids", "");
    cgroup(root.resolve(SCOPE), "memory pids", "", "4242\n");
    delegate(root.resolve(APP_SLICE));
    delegate(root.resolve(SCOPE));
    CgroupHost.Detection d = v2(root, SCOPE, null, true);
    assertFalse(d.found());
    assertTrue(d.reason().contains("the parent of this JVM's cgroup (" + root.resolve(APP_SLICE)
        + ") lacks the controllers [cpu]") && d.reason().contains("this JVM's cgroup (" + root.resolve(SCOPE)
        + ") lacks the controllers [cpu]"), d.reason());
  }

  @Test
  void v2SkipsAParentThatHoldsProcessesAndCannotEnableControllers(@TempDir Path root) throws IOException {
    v2Host(root);
    cgroup(root.resolve(APP_SLICE), "cpu memory pids", "", "77\n");
    delegate(root.resolve(APP_SLICE));
    CgroupHost.Detection d = v2(root, SCOPE, null, false);
    assertFalse(d.found());
    assertTrue(d.reason().contains("holds processes, so it cannot enable controllers for children"), d.reason());
  }

  @Test
  void v2InTheRootCgroupHasNothingDelegated(@TempDir Path root) throws IOException {
    v2Host(root);
    CgroupHost.Detection d = v2(root, "", null, false);
    assertFalse(d.found());
    assertTrue(d.reason().startsWith("this JVM (uid 1000) runs in the root cgroup"), d.reason());
  }

  @Test
  void v2SubtreeGivenElsewhereNeedsTheCommonAncestorsProcsFile(@TempDir Path root) throws IOException {
    v2Host(root);
    Path given = cgroup(root.resolve("delegated.slice/alice"), "cpu memory pids", "", "");
    delegate(given);
    CgroupHost.Detection d = v2(root, SCOPE, "delegated.slice/alice", false);
    assertFalse(d.found());
    assertTrue(d.reason().startsWith("uid 1000 cannot move processes from its own cgroup " + root.resolve(SCOPE)
        + " into the delegated cgroup subtree delegated.slice/alice given with -D" + ContainerSettings.CGROUP_PARENT
        + ": cgroup v2 needs write permission on cgroup.procs of their common ancestor " + root), d.reason());
    writable.add(root.resolve("cgroup.procs"));
    CgroupHost.Detection ok = v2(root, SCOPE, "delegated.slice/alice", false);
    assertEquals(given, assertInstanceOf(CgroupV2Driver.class, ok.driver()).parent());
    assertEquals("through the delegated cgroup subtree delegated.slice/alice given with -D"
        + ContainerSettings.CGROUP_PARENT, ok.how());
  }

  /** Fake v1 hierarchies: memory, cpu and cpuacct together, pids; the JVM in /session-1 of memory. */
  private List<MountInfo.Entry> v1Host(Path root) throws IOException {
    for (String h : List.of("memory", "cpu,cpuacct", "pids")) {
      Files.createDirectories(root.resolve(h).resolve("session-1"));
    }
    return List.of(mount(root.resolve("memory"), "cgroup", "rw,memory"),
        mount(root.resolve("cpu,cpuacct"), "cgroup", "rw,cpu,cpuacct"), mount(root.resolve("pids"), "cgroup",
            "rw,pids"), mount(root.resolve("unified"), "cgroup2", "rw"));
  }

  private CgroupHost.Detection v1(List<MountInfo.Entry> mounts, String given) {
    return CgroupHost.detect(mounts, List.of("4:memory:/session-1", "3:cpu,cpuacct:/", "2:pids:/", "0::/"), given,
        CgroupFiles.forTests(), UID, access, false);
  }

  @Test
  void v1SubtreeGivenIsUsedWhenItExistsInEveryHierarchyAndTheUserOwnsIt(@TempDir Path root) throws IOException {
    List<MountInfo.Entry> mounts = v1Host(root);
    for (String h : List.of("memory", "cpu,cpuacct", "pids")) {
      writable.add(Files.createDirectories(root.resolve(h).resolve("isolates/alice")));
    }
    CgroupHost.Detection d = v1(mounts, "/isolates/alice");
    assertInstanceOf(CgroupV1Driver.class, d.driver(), d::toString);
    assertEquals(Set.of(root.resolve("memory/isolates/alice"), root.resolve("cpu,cpuacct/isolates/alice"),
        root.resolve("pids/isolates/alice")), Set.copyOf(d.driver().parents()));
    assertEquals("limits enforced through the delegated cgroup subtree /isolates/alice given with -D"
        + ContainerSettings.CGROUP_PARENT + ": cgroup v1 (memory+swap, cpu, cpuacct, pids) under "
        + root.resolve("memory/isolates/alice"), d.summary());
  }

  @Test
  void v1SubtreeMissingFromAHierarchyIsRefusedNamingItAndTheSetting(@TempDir Path root) throws IOException {
    List<MountInfo.Entry> mounts = v1Host(root);
    for (String h : List.of("memory", "cpu,cpuacct")) {
      writable.add(Files.createDirectories(root.resolve(h).resolve("alice")));
    }
    CgroupHost.Detection d = v1(mounts, "alice");
    assertFalse(d.found());
    assertEquals("the delegated cgroup subtree alice given with -D" + ContainerSettings.CGROUP_PARENT + " is missing"
        + " from the cgroup v1 hierarchies pids (" + root.resolve("pids/alice") + "): as root, make it in each of"
        + " the memory, cpu, cpuacct, pids hierarchies and chown it to uid 1000", d.reason());
  }

  @Test
  void v1SubtreeTheUserMayNotWriteIsRefusedNamingThePermission(@TempDir Path root) throws IOException {
    List<MountInfo.Entry> mounts = v1Host(root);
    for (String h : List.of("memory", "cpu,cpuacct", "pids")) {
      Path dir = Files.createDirectories(root.resolve(h).resolve("alice"));
      if (!h.equals("pids")) {
        writable.add(dir);
      }
    }
    CgroupHost.Detection d = v1(mounts, "alice");
    assertFalse(d.found());
    assertTrue(d.reason().startsWith("uid 1000 has no write permission on " + root.resolve("pids/alice") + " (owned by"
        + " uid "), d.reason());
    assertTrue(d.reason().endsWith("so it cannot make cgroups in the delegated cgroup subtree alice given with -D"
        + ContainerSettings.CGROUP_PARENT + ": as root, chown it to uid 1000 in each hierarchy"), d.reason());
  }

  @Test
  void v1WithoutASubtreeSaysHowToGetOne(@TempDir Path root) throws IOException {
    CgroupHost.Detection d = v1(v1Host(root), null);
    assertFalse(d.found());
    assertEquals("uid 1000 may not make cgroups in this JVM's own cgroups (such as " + root.resolve("memory/session-1")
        + "); to enforce limits without root, have root make a cgroup subtree in each of the memory, cpu, cpuacct,"
        + " pids hierarchies, chown it to uid 1000 and name it with -D" + ContainerSettings.CGROUP_PARENT,
        d.reason());
  }

  @Test
  void rootNeedsNoDelegation(@TempDir Path root) throws IOException {
    CgroupHost.Detection d = CgroupHost.detect(v1Host(root), List.of("4:memory:/session-1", "3:cpu,cpuacct:/",
        "2:pids:/", "0::/"), null, CgroupFiles.forTests());
    assertTrue(d.summary().startsWith("limits enforced as root: cgroup v1"), d.summary());
  }

  @Test
  void theSweepOfStaleCgroupsLeavesADelegatedSubtreeNamedLikeAnIsolate(@TempDir Path parent) throws IOException {
    for (String name : List.of("isolate-0123456789abcdef-0", "isolate-probe-42", "isolate-alice", "alice")) {
      Files.createDirectory(parent.resolve(name));
    }
    CgroupHost.sweepStale(new CgroupV2Driver(parent, CgroupFiles.forTests()), java.time.Duration.ZERO);
    try (var left = Files.list(parent)) {
      assertEquals(Set.of("isolate-alice", "alice"), left.map(p -> p.getFileName().toString())
          .collect(java.util.stream.Collectors.toSet()));
    }
  }

  @Test
  void theCommonAncestorOfTwoCgroups() {
    assertEquals(Path.of("/sys/fs/cgroup/a"), CgroupDelegation.commonAncestor(Path.of("/sys/fs/cgroup/a/b/c"),
        Path.of("/sys/fs/cgroup/a/d")));
    assertEquals(Path.of("/sys/fs/cgroup/a"), CgroupDelegation.commonAncestor(Path.of("/sys/fs/cgroup/a"),
        Path.of("/sys/fs/cgroup/a/d")));
    assertEquals(Path.of("/sys/fs/cgroup/ab"), CgroupDelegation.commonAncestor(Path.of("/sys/fs/cgroup/ab"),
        Path.of("/sys/fs/cgroup/ab")));
    assertEquals(Path.of("/sys/fs/cgroup"), CgroupDelegation.commonAncestor(Path.of("/sys/fs/cgroup/ab"),
        Path.of("/sys/fs/cgroup/a")));
  }
}
