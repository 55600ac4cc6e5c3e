package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.container.helper.HelperBinary;
import io.isolate.container.helper.MountInfo;
import io.isolate.container.seccomp.SeccompProfile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On cgroup v2 the helper creates init directly inside the isolate's cgroup (clone3 with CLONE_INTO_CGROUP), so no
 * migration happens. This host's v2 tree has no controllers, which does not matter for membership.
 */
class CloneIntoCgroupTest {
  @Test
  void onCgroupV2InitIsBornInTheIsolatesCgroup() throws Exception {
    Prerequisites.requireOsLevel();
    MountInfo.Entry v2 = MountInfo.read().stream().filter(m -> m.fsType().equals("cgroup2")).findFirst()
        .orElse(null);
    Prerequisites.require(v2 != null, "a cgroup v2 mount");
    String own = Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.startsWith("0::"))
        .findFirst().orElse("0::/").substring(3);
    Path dir = Path.of(v2.mountPoint()).resolve(own.substring(1)).resolve("isolate-clone-" + ProcessHandle.current()
        .pid());
    Files.createDirectory(dir);
    try {
      Path runRoot = ContainerProvider.runRoot();
      List<String> argv = new SandboxPolicy(HostLayout.REAL).command(
          Os.sh("echo started; read line").stdin(io.isolate.Input.pipe()).spec(),
          new SandboxPolicy.Inputs(HelperBinary.path(), dir.getParent().resolve("unused"), Path.of("/tmp"),
              HelperBinary.currentUid(), HelperBinary.currentGid(), List.of(dir.resolve("cgroup.procs")), List.of(),
              List.of(), SeccompProfile.of(List.of(), List.of()).toBpf(),
              runRoot.resolve(ContainerProvider.EMPTY_FILE), runRoot.resolve(ContainerProvider.EMPTY_DIR),
              List.of())).argv();
      argv = new java.util.ArrayList<>(argv);
      argv.subList(1, 3).clear(); // no status file in a cgroup directory
      Process helper = new ProcessBuilder(argv).start();
      assertEquals("started\n", new String(helper.getInputStream().readNBytes(8), StandardCharsets.UTF_8));
      List<String> members = Files.readAllLines(dir.resolve("cgroup.procs"));
      assertTrue(members.size() >= 2, "init and the workload are in the cgroup: " + members);
      assertTrue(!members.contains(Long.toString(helper.pid())), "the helper itself stays outside");
      helper.getOutputStream().write('\n');
      helper.getOutputStream().close();
      assertTrue(helper.waitFor(5, TimeUnit.SECONDS));
      assertEquals(0, helper.exitValue());
    } finally {
      for (int i = 0; i < 100 && Files.exists(dir); i++) {
        try {
          Files.delete(dir);
        } catch (java.io.IOException busy) {
          Thread.sleep(10);
        }
      }
    }
  }
}
