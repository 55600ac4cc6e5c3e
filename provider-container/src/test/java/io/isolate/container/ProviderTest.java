package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.Isolates;
import io.isolate.IsolationLevel;
import io.isolate.Termination;
import io.isolate.Workload;
import io.isolate.spi.IsolationProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ProviderTest {
  @Test
  void isFoundByServiceLoaderForLevelOsAndCommands() {
    IsolationProvider p = ServiceLoader.load(IsolationProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(x -> x.level() == IsolationLevel.OS).findFirst().orElseThrow();
    assertEquals(ContainerProvider.class, p.getClass());
    assertEquals(java.util.Set.of(Workload.Kind.COMMAND, Workload.Kind.IMAGE_COMMAND), p.workloadKinds());
  }

  @Test
  void doctorSaysWhatItFoundOnThisHost() {
    Prerequisites.requireOsLevel();
    String report = Isolates.doctor().toString();
    assertTrue(report.contains("OS") && report.contains("helper ") && report.contains("cgroup"), report);
  }

  @Test
  void otherWorkloadKindsAreRefusedWithTheReason() throws Exception {
    Prerequisites.requireOsLevel();
    Path wasm = Files.createTempFile("x", ".wasm");
    Files.write(wasm, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    try {
      InvalidSpecException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidSpecException.class,
          () -> Isolate.builder().level(IsolationLevel.OS).workload(Workload.wasm(wasm)).build());
      assertTrue(e.getMessage().contains("COMMAND"), e.getMessage());
    } finally {
      Files.delete(wasm);
    }
  }

  @Test
  void closeKillsARunningWorkloadAndRemovesItsCgroupAndRunDirectory() throws Exception {
    Prerequisites.requireCgroups();
    long before = NoLeaksTest.counts().cgroupDirs();
    Isolate isolate = Os.command("/bin/sleep", "100").build();
    var execution = isolate.start();
    assertTrue(NoLeaksTest.counts().cgroupDirs() > before);
    isolate.close();
    ExitResult r = execution.await();
    assertEquals(Termination.KILLED, r.termination(), r::toString);
    assertFalse(execution.isAlive());
    assertEquals(before, NoLeaksTest.counts().cgroupDirs());
  }

  @Test
  void runDirectoriesOfDeadJvmsAreSweptAndLiveOnesKept(@org.junit.jupiter.api.io.TempDir Path root)
      throws Exception {
    Path stale = Files.createDirectories(root.resolve("iso-stale"));
    Files.writeString(stale.resolve(ContainerIsolate.LOCK), "");
    Files.writeString(stale.resolve("file-0"), "left behind by a crashed JVM");
    Path live = Files.createDirectories(root.resolve("iso-live"));
    try (var ch = java.nio.channels.FileChannel.open(live.resolve(ContainerIsolate.LOCK),
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE); var held = ch.lock()) {
      ContainerIsolate.sweepStaleRunDirectories(root);
      assertFalse(Files.exists(stale), "stale run directory removed");
      assertTrue(Files.exists(live), "a live isolate's run directory is kept");
      assertTrue(held.isValid());
    }
  }

  @Test
  void aMountCoveringTheWholeRootIsRefusedAtBuildWithAHint() {
    Prerequisites.requireCgroups();
    var e = org.junit.jupiter.api.Assertions.assertThrows(io.isolate.InvalidSpecException.class,
        () -> Os.command("/bin/true").mount(io.isolate.Mount.readOnly(Path.of("/usr"), "/")).build());
    assertTrue(e.getMessage().contains("Rootfs.directory"), e.getMessage());
  }

  @Test
  void explainsNamespaceFailuresWithTheHostSetting() {
    assertTrue(Probe.explain("isolate-helper.c:500: clone(namespaces 0x7e020000): Operation not permitted")
        .startsWith("; "));
    assertTrue(Probe.explain("isolate-helper.c:250: mount overlay on / (...): Invalid argument")
        .contains("overlayfs"));
    assertEquals("", Probe.explain("something else"));
  }
}
