package io.isolate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command as a user who is not root, made for the test with {@code useradd} and run with {@code runuser}: the
 * demo shows the OS level working and says that limits are off, {@code run --level os} works with
 * {@code --accept-unenforced-limits} (and its refusal without it names that flag), and {@code --user} runs the
 * workload as the ids asked for; with a cgroup subtree delegated to the user, limits are enforced and both the demo
 * and the doctor say through which.
 */
class NonRootUserTest {
  static final String USER = "isolate-cli-test";
  @TempDir static Path dir;
  static String classPath;

  @BeforeAll
  static void user() throws Exception {
    boolean root = new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    if (!root) {
      if ("true".equals(System.getenv("CI"))) {
        fail("CI=true: this test makes a user with useradd and needs root");
      }
      Assumptions.abort("making a user needs root");
    }
    if (run(List.of("id", USER)).exit != 0) {
      Answer made = run(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER));
      assertEquals(0, made.exit, made.out);
    }
    // the user cannot read root's Maven repository: the class path is copied where anyone can read it
    classPath = io.isolate.conformance.HostState.classPathReadableByOthers(dir);
  }

  record Answer(int exit, String out) {}

  static Answer run(List<String> argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).directory(new File("/")).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), argv + " did not end");
    return new Answer(p.exitValue(), out);
  }

  static Answer cli(String... args) throws Exception {
    return cli(List.of(), args);
  }

  static Answer cli(List<String> jvmOptions, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("runuser", "-u", USER, "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    argv.addAll(jvmOptions);
    argv.addAll(List.of("-cp", classPath, Main.class.getName()));
    argv.addAll(List.of(args));
    return run(argv);
  }

  @Test
  void theDemoShowsTheOsLevelWorkingWithLimitsOff() throws Exception {
    Answer demo = cli("demo");
    String os = demo.out.lines().filter(l -> l.startsWith("OS ")).findFirst().orElse("");
    assertTrue(os.contains(" ok") && os.contains("limits NOT enforced"), demo.out);
  }

  /**
   * With a cgroup subtree delegated to the user (made by root in each cgroup v1 hierarchy the OS level uses and
   * chowned to the user) and named with {@code -Disolate.cgroup.parent}, the demo and the doctor say that limits
   * are enforced through it, and a run past a memory limit is killed for it.
   */
  @Test
  void theDemoAndTheDoctorSayLimitsAreEnforcedThroughADelegatedSubtree() throws Exception {
    List<Path> hierarchies = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 3 && f[2].equals("cgroup") && List.of(f[3].split(",")).stream()
          .anyMatch(List.of("memory", "cpu", "cpuacct", "pids")::contains)) {
        hierarchies.add(Path.of(f[1]));
      }
    }
    Assumptions.assumeTrue(hierarchies.size() >= 3, "the cgroup v1 hierarchies are not mounted here");
    // not named isolate-...: leak tests of other JVMs count such directories on the whole host
    String subtree = "delegated-cli-test-" + ProcessHandle.current().pid();
    try {
      for (Path h : hierarchies) {
        Files.createDirectory(h.resolve(subtree));
        assertEquals(0, run(List.of("chown", USER, h.resolve(subtree).toString())).exit);
      }
      String setting = "-Disolate.cgroup.parent=" + subtree;
      String enforced = "limits enforced through the delegated cgroup subtree " + subtree
          + " given with -Disolate.cgroup.parent";
      Answer demo = cli(List.of(setting), "demo");
      String os = demo.out.lines().filter(l -> l.startsWith("OS ")).findFirst().orElse("");
      assertTrue(os.endsWith(" ok, " + enforced), demo.out);
      Answer doctor = cli(List.of(setting), "doctor");
      assertTrue(doctor.out.contains(enforced + ": cgroup v1"), doctor.out);
      Answer killed = cli(List.of(setting), "run", "--level", "os", "--memory", "32m", "--", "/bin/sh", "-c",
          "head -c 200000000 /dev/zero | tail > /dev/null");
      assertEquals(137, killed.exit, killed.out);
      assertTrue(killed.out.contains("MEMORY_LIMIT: memory limit 32 MiB exceeded"), killed.out);
    } finally {
      for (Path h : hierarchies) {
        Path dir = h.resolve(subtree);
        if (Files.isDirectory(dir)) {
          try (var children = Files.list(dir)) {
            for (Path child : children.filter(Files::isDirectory).toList()) {
              Files.delete(child);
            }
          }
          Files.delete(dir);
        }
      }
    }
  }

  @Test
  void runAtTheOsLevelWorksWithTheFlagAndItsRefusalNamesIt() throws Exception {
    Answer refused = cli("run", "--level", "os", "--", "/bin/true");
    assertEquals(125, refused.exit, refused.out);
    assertTrue(refused.out.contains("--accept-unenforced-limits"), refused.out);
    Answer ran = cli("run", "--level", "os", "--accept-unenforced-limits", "--user", "70:71", "--", "/bin/sh", "-c",
        "id -u; id -g");
    assertEquals(0, ran.exit, ran.out);
    assertTrue(ran.out.endsWith("70\n71\n"), ran.out);
  }

  @Test
  void aNetworkOfIsolatesWorksWithoutRoot() throws Exception {
    List<String> argv = new ArrayList<>(List.of("runuser", "-u", USER, "--",
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classPath,
        NetworkOfIsolatesMain.class.getName()));
    Answer a = run(argv);
    assertEquals(0, a.exit, a.out);
    assertTrue(a.out.contains("client 0 200 200") && a.out.contains("exec as 0"), a.out);
  }
}
