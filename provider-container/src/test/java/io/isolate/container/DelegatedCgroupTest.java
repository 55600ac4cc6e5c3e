package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isolate.container.cgroup.CgroupHost;
import io.isolate.container.helper.MountInfo;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Limits for a JVM that is not root, for real on this cgroup v1 host: a user made with {@code useradd}, a subtree
 * that root makes in each v1 hierarchy the OS level uses and chowns to that user (what an administrator does), and
 * a JVM of that user, started with {@code runuser}, given the subtree with {@value ContainerSettings#CGROUP_PARENT}.
 * Its isolates' memory and pids limits hold, their cgroups are made inside the subtree and removed at close, and
 * the doctor says which subtree enforces them. Without the setting the OS level refuses limits as before; with a
 * subtree the user may not write it says so, naming the setting. The user and the subtrees are removed afterwards.
 */
class DelegatedCgroupTest {
  static final String USER = "isolate-cgroup-test";
  // not named isolate-...: other JVMs' leak tests count such directories on the whole host
  static final String SUBTREE = "delegated-cgroup-test-" + ProcessHandle.current().pid();
  static final String ROOT_OWNED = SUBTREE + "-root";
  @TempDir static Path dir;
  static String classPath;
  static boolean madeUser;
  /** The v1 hierarchies (mount points) of memory, cpu, cpuacct and pids; cpu and cpuacct may be one. */
  static Set<Path> hierarchies = new LinkedHashSet<>();
  static Path memoryHierarchy;

  @BeforeAll
  static void userAndSubtrees() throws Exception {
    if (io.isolate.container.helper.HelperBinary.currentUid() != 0) {
      if (Prerequisites.onCi()) {
        fail("CI=true: this test makes a user with useradd and cgroups for it, and needs root");
      }
      Assumptions.abort("making a user and delegating cgroups to it needs root");
    }
    CgroupHost.Detection host = CgroupHost.detect();
    Prerequisites.require(host.found(), "a usable cgroup hierarchy: " + host.reason());
    // The subtree below is made in each v1 hierarchy; on a pure v2 host a non-root JVM would also need write
    // permission on the common ancestor of its own cgroup and the subtree (see CgroupDetectionAndLogicTest).
    Assumptions.assumeTrue(host.driver().describe().startsWith("cgroup v1"), "this host's cgroups are v2");
    for (MountInfo.Entry m : MountInfo.read()) {
      if (m.fsType().equals("cgroup")) {
        List<String> options = List.of(m.superOptions().split(","));
        for (String c : List.of("memory", "cpu", "cpuacct", "pids")) {
          if (options.contains(c)) {
            hierarchies.add(Path.of(m.mountPoint()));
            if (c.equals("memory")) {
              memoryHierarchy = Path.of(m.mountPoint());
            }
          }
        }
      }
    }
    if (run(List.of("id", USER)).exit != 0) {
      Answer made = run(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER));
      assertEquals(0, made.exit, made.out);
      madeUser = true;
    }
    for (Path h : hierarchies) {
      Files.createDirectory(h.resolve(SUBTREE));
      Files.createDirectory(h.resolve(ROOT_OWNED));
      // the directory is enough: the kernel gives the cgroups made in it, and their files, its owner
      Answer chown = run(List.of("chown", USER + ":", h.resolve(SUBTREE).toString()));
      assertEquals(0, chown.exit, chown.out);
    }
    classPath = io.isolate.conformance.HostState.classPathReadableByOthers(dir);
  }

  @AfterAll
  static void removeSubtreesAndUser() throws Exception {
    for (Path h : hierarchies) {
      for (String name : List.of(SUBTREE, ROOT_OWNED)) {
        Path subtree = h.resolve(name);
        if (Files.isDirectory(subtree)) {
          try (Stream<Path> s = Files.list(subtree)) {
            for (Path child : s.filter(Files::isDirectory).toList()) {
              Files.delete(child);
            }
          }
          Files.delete(subtree);
        }
      }
    }
    if (madeUser) {
      Answer uid = run(List.of("id", "-u", USER));
      run(List.of("userdel", USER));
      if (uid.exit == 0) {
        // what the user's JVMs left: the extracted helper and the run directories
        run(List.of("rm", "-rf", "/tmp/isolate-" + uid.out.trim()));
      }
    }
  }

  @Test
  void limitsHoldForAUserWhoIsNotRootInTheSubtreeDelegatedToIt() throws Exception {
    Map<String, String> out = asUser(SUBTREE);
    assertTrue(out.get("doctor").contains("limits enforced through the delegated cgroup subtree " + SUBTREE
        + " given with -D" + ContainerSettings.CGROUP_PARENT + ": cgroup v1"), out.toString());
    assertTrue(out.get("memory").startsWith("MEMORY_LIMIT memory limit 32 MiB exceeded"), out.toString());
    assertTrue(out.get("pids").startsWith("PIDS_LIMIT pids limit 16"), out.toString());
    assertTrue(out.get("during").matches("\\[isolate-[^,]*\\]"), out.toString());
    assertEquals("[]", out.get("after"), out.toString());
    for (Path h : hierarchies) {
      try (Stream<Path> s = Files.list(h.resolve(SUBTREE))) {
        assertEquals(List.of(), s.filter(Files::isDirectory).toList(), "cgroups left in " + h.resolve(SUBTREE));
      }
    }
  }

  @Test
  void withoutTheSettingLimitsAreRefusedAsBeforeAndTheDoctorSaysHowToGetThem() throws Exception {
    Map<String, String> out = asUser(null);
    assertTrue(out.get("doctor").contains("no limits: uid ") && out.get("doctor").contains("-D"
        + ContainerSettings.CGROUP_PARENT), out.toString());
    assertTrue(out.get("memory").startsWith("refused: ") && out.get("memory").contains("acceptUnenforcedLimits"),
        out.toString());
  }

  @Test
  void aSubtreeTheUserMayNotWriteIsRefusedNamingTheSettingAndThePermission() throws Exception {
    Map<String, String> out = asUser(ROOT_OWNED);
    String doctor = out.get("doctor");
    assertTrue(doctor.contains("no limits: uid ") && doctor.contains("has no write permission on ")
        && doctor.contains(ROOT_OWNED + " given with -D" + ContainerSettings.CGROUP_PARENT), doctor);
    assertTrue(out.get("pids").startsWith("refused: ") && out.get("pids").contains("no write permission"),
        out.toString());
  }

  /** Runs {@link DelegatedCgroupMain} as {@link #USER}, with the subtree if given; its lines by their key. */
  private static Map<String, String> asUser(String subtree) throws Exception {
    List<String> argv = new ArrayList<>(List.of("runuser", "-u", USER, "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    if (subtree != null) {
      argv.add("-D" + ContainerSettings.CGROUP_PARENT + "=" + subtree);
    }
    argv.addAll(List.of("-cp", classPath, DelegatedCgroupMain.class.getName(),
        memoryHierarchy.resolve(subtree == null ? SUBTREE : subtree).toString()));
    Answer a = run(argv);
    assertEquals(0, a.exit, a.out);
    return a.out.lines().filter(l -> l.contains(": ")).collect(Collectors.toMap(
        l -> l.substring(0, l.indexOf(": ")), l -> l.substring(l.indexOf(": ") + 2), (x, y) -> x));
  }

  record Answer(int exit, String out) {}

  static Answer run(List<String> argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).directory(new File("/")).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), argv + " did not end");
    return new Answer(p.exitValue(), out);
  }
}
