package io.isolate.container.cgroup;

import io.isolate.container.ContainerSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.container.helper.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hierarchy detection and the v1 and v2 drivers against fake cgroup trees in temporary directories, so the v2
 * logic is covered on this hybrid host as well as on pure v2 hosts.
 */
class CgroupDetectionAndLogicTest {
  private static MountInfo.Entry mount(Path at, String type, String superOptions) {
    return new MountInfo.Entry(at.toString(), "rw", type, "cgroup", superOptions);
  }

  private static Path fakeV2(Path root, String controllers) throws IOException {
    Files.createDirectories(root.resolve("user.slice/app"));
    Files.writeString(root.resolve("cgroup.controllers"), controllers);
    Files.writeString(root.resolve("user.slice/app/cgroup.subtree_control"), "");
    return root;
  }

  @Test
  void aPureV2HostUsesTheUnifiedHierarchyBelowThisProcessCgroup(@TempDir Path root) throws IOException {
    fakeV2(root, "cpuset cpu io memory hugetlb pids rdma misc");
    CgroupHost.Detection d = CgroupHost.detect(List.of(mount(root, "cgroup2", "rw")),
        List.of("0::/user.slice/app"), null, CgroupFiles.forTests());
    CgroupV2Driver v2 = assertInstanceOf(CgroupV2Driver.class, d.driver());
    assertEquals(root.resolve("user.slice/app"), v2.parent());
  }

  @Test
  void aHybridHostWithAnEmptyV2TreeUsesV1(@TempDir Path root) throws IOException {
    Path unified = fakeV2(root.resolve("unified"), "");
    List<MountInfo.Entry> mounts = List.of(mount(unified, "cgroup2", "rw"),
        mount(root.resolve("memory"), "cgroup", "rw,memory"), mount(root.resolve("cpu,cpuacct"), "cgroup",
            "rw,cpu,cpuacct"), mount(root.resolve("pids"), "cgroup", "rw,pids"));
    CgroupHost.Detection d = CgroupHost.detect(mounts, List.of("4:memory:/a", "3:cpu,cpuacct:/", "2:pids:/",
        "0::/"), null, CgroupFiles.forTests());
    assertInstanceOf(CgroupV1Driver.class, d.driver());
    assertTrue(d.driver().describe().contains(root.resolve("memory/a").toString()), d.driver().describe());
  }

  @Test
  void noUsableHierarchyExplainsWhatIsMissing(@TempDir Path root) throws IOException {
    Path unified = fakeV2(root, "cpu io");
    CgroupHost.Detection d = CgroupHost.detect(List.of(mount(unified, "cgroup2", "rw")), List.of("0::/"), null,
        CgroupFiles.forTests());
    assertFalse(d.found());
    assertEquals("the cgroup v2 hierarchy at " + root + " lacks the controllers [memory, pids];"
        + " no cgroup v1 controller is mounted", d.reason());
  }

  @Test
  void v2WritesMemorySwapCpuAndPidsLimitsAndDelegatesControllers(@TempDir Path root) throws IOException {
    Path parent = fakeV2(root, "cpu memory pids").resolve("user.slice/app");
    CgroupV2Driver driver = new CgroupV2Driver(parent, CgroupFiles.forTests());
    // a fake kernel: files the kernel would create in a new cgroup exist once the directory does
    Path dir = parent.resolve("iso-1");
    try (Cgroup cg = driver.createWithKernelFiles(dir, "iso-1", new CgroupLimits(64L << 20, 0.5, 32))) {
      assertEquals("+memory +cpu +pids", Files.readString(parent.resolve("cgroup.subtree_control")));
      assertEquals(Long.toString(64L << 20), Files.readString(dir.resolve("memory.max")));
      assertEquals("0", Files.readString(dir.resolve("memory.swap.max")));
      assertEquals("1", Files.readString(dir.resolve("memory.oom.group")));
      assertEquals("50000 100000", Files.readString(dir.resolve("cpu.max")));
      assertEquals("32", Files.readString(dir.resolve("pids.max")));
      assertEquals(List.of(dir.resolve("cgroup.procs")), cg.procsFiles());
    }
    assertFalse(Files.exists(dir), "removed on close");
  }

  @Test
  void v2ReadsCpuTimePeakMemoryOomKillsAndRefusedForks(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("cpu.stat"), "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
    Files.writeString(dir.resolve("memory.peak"), "12345678\n");
    Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
    Files.writeString(dir.resolve("pids.events"), "max 3\n");
    Files.writeString(dir.resolve("cgroup.procs"), "");
    CgroupStats s = new CgroupV2Driver.V2Cgroup(dir, CgroupFiles.forTests()).stats();
    assertEquals(new CgroupStats(Duration.ofNanos(1_500_000), 12345678, 1, 3), s);
  }

  @Test
  void v2ExplainsAParentThatCannotDelegate(@TempDir Path root) throws IOException {
    Path parent = fakeV2(root, "cpu memory pids").resolve("user.slice/app");
    Files.delete(parent.resolve("cgroup.subtree_control"));
    Files.createDirectory(parent.resolve("cgroup.subtree_control")); // unwritable, like EBUSY from the kernel
    IOException e = assertThrows(IOException.class,
        () -> new CgroupV2Driver(parent, CgroupFiles.forTests()).create("x", new CgroupLimits(1 << 20, 1, 1)));
    assertTrue(e.getMessage().contains("Delegate=yes"), e.getMessage());
  }

  @Test
  void v2CanMoveTheJvmIntoALeafWhenItsCgroupHoldsProcesses(@TempDir Path root) throws IOException {
    Path parent = fakeV2(root, "cpu memory pids").resolve("user.slice/app");
    Files.writeString(parent.resolve("cgroup.procs"), "4242\n4343\n");
    // like the kernel: no delegation while the parent holds processes (EBUSY)
    CgroupFiles kernelLike = new CgroupFiles(true) {
      @Override
      void write(Path file, String value) throws IOException {
        if (file.getFileName().toString().equals("cgroup.subtree_control")
            && !read(parent.resolve("cgroup.procs")).isEmpty()) {
          throw new IOException("Device or resource busy");
        }
        if (file.getFileName().toString().equals("cgroup.procs")) {
          Files.writeString(parent.resolve("cgroup.procs"), ""); // the kernel moves the process out of the parent
          String before = read(file);
          Files.writeString(file, (before == null || before.isEmpty() ? "" : before + "\n") + value);
          return;
        }
        Files.writeString(file, value);
      }
    };
    IOException refused = assertThrows(IOException.class,
        () -> new CgroupV2Driver(parent, kernelLike).create("x", new CgroupLimits(1 << 20, 1, 1)));
    assertTrue(refused.getMessage().contains(ContainerSettings.CGROUP_MOVE_JVM), refused.getMessage());
    System.setProperty(ContainerSettings.CGROUP_MOVE_JVM, "true");
    try {
      Path dir = parent.resolve("iso");
      new CgroupV2Driver(parent, kernelLike).createWithKernelFiles(dir, "iso", new CgroupLimits(1 << 20, 1, 1))
          .close();
      assertEquals("4242\n4343", Files.readString(parent.resolve(CgroupV2Driver.JVM_LEAF + "/cgroup.procs")).trim());
      assertEquals("+memory +cpu +pids", Files.readString(parent.resolve("cgroup.subtree_control")));
    } finally {
      System.clearProperty(ContainerSettings.CGROUP_MOVE_JVM);
    }
  }

  @Test
  void v1ReadsCpuacctPeakMemoryOomKillsAndRefusedForks(@TempDir Path root) throws IOException {
    Path mem = Files.createDirectories(root.resolve("memory"));
    Path cpu = Files.createDirectories(root.resolve("cpu"));
    Path pids = Files.createDirectories(root.resolve("pids"));
    Files.writeString(cpu.resolve("cpuacct.usage"), "2000000\n");
    Files.writeString(mem.resolve("memory.max_usage_in_bytes"), "4096\n");
    Files.writeString(mem.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    Files.writeString(pids.resolve("pids.events"), "max 5\n");
    CgroupStats s = new CgroupV1Driver.V1Cgroup(new java.util.LinkedHashMap<>(java.util.Map.of("memory", mem,
        "cpu", cpu, "cpuacct", cpu, "pids", pids)), CgroupFiles.forTests()).stats();
    assertEquals(new CgroupStats(Duration.ofMillis(2), 4096, 2, 5), s);
  }

  @Test
  void quotaIsTheCpusTimesThePeriodAndAtLeastOneMillisecond() {
    assertEquals(50_000, new CgroupLimits(1, 0.5, 1).quotaMicros());
    assertEquals(200_000, new CgroupLimits(1, 2, 1).quotaMicros());
    assertEquals(1000, new CgroupLimits(1, 0.001, 1).quotaMicros());
    assertNull(CgroupStats.NONE.cpuTime());
  }
}
