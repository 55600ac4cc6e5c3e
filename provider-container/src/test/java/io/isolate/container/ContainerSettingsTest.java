package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Rootfs;
import io.isolate.StartFailedException;
import io.isolate.Workload;
import io.isolate.container.image.TestImages;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OS level's settings given to one isolate: image caps are its own, the helper and the cgroups the JVM's. */
class ContainerSettingsTest {
  @TempDir Path dir;

  @BeforeAll
  static void available() {
    Prerequisites.requireOsLevel();
  }

  @Test
  void anIsolatesOwnLayerCapIsHonoured() throws Exception {
    Path image = TestImages.ociLayout(dir.resolve("img"), "latest",
        List.of(TestImages.gz(l -> l.file("zeros", new byte[200_000], 0644))));
    ContainerSettings tight = ContainerSettings.fromSystemProperties().withMaxLayerBytes(100_000);
    StartFailedException e = assertThrows(StartFailedException.class, () -> Isolate.builder()
        .level(IsolationLevel.OS).rootfs(Rootfs.ociImage(image)).workload(Workload.command("/zeros"))
        .settings(tight).build());
    assertTrue(e.getMessage().contains(ContainerSettings.MAX_LAYER_BYTES + "=100000"), e.getMessage());
  }

  @Test
  void anIsolatesOwnImageCapAndPreparationTimeAreHonoured() throws Exception {
    ContainerSettings jvm = ContainerSettings.fromSystemProperties();
    Path big = TestImages.ociLayout(dir.resolve("big"), "latest",
        List.of(TestImages.gz(l -> l.file("zeros", new byte[200_000], 0644))));
    StartFailedException e = assertThrows(StartFailedException.class, () -> Isolate.builder()
        .level(IsolationLevel.OS).rootfs(Rootfs.ociImage(big)).workload(Workload.command("/zeros"))
        .settings(jvm.withMaxImageBytes(100_000)).build());
    assertTrue(e.getMessage().contains(ContainerSettings.MAX_IMAGE_BYTES + "=100000"), e.getMessage());
    Path slow = TestImages.ociLayout(dir.resolve("slow"), "latest",
        List.of(TestImages.gz(l -> l.file("a", "a"))));
    e = assertThrows(StartFailedException.class, () -> Isolate.builder()
        .level(IsolationLevel.OS).rootfs(Rootfs.ociImage(slow)).workload(Workload.command("/a"))
        .settings(jvm.withImagePrepareSeconds(0)).build());
    assertTrue(e.getMessage().contains("took longer than -D" + ContainerSettings.IMAGE_PREPARE_SECONDS), e.getMessage());
  }

  @Test
  void theJvmsSettingsCannotBeChangedForOneIsolate() {
    ContainerSettings jvm = ContainerSettings.fromSystemProperties();
    ContainerSettings noCgroups = new ContainerSettings(jvm.helperDir(), jvm.runDir(), jvm.imageCache(),
        jvm.imageCacheMaxBytes(), jvm.maxImageBytes(), jvm.maxLayerBytes(), jvm.imagePrepareSeconds(),
        jvm.cgroupParent(), !jvm.cgroupsDisabled(), jvm.cgroupMoveJvm(), jvm.registries());
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Isolate.builder()
        .level(IsolationLevel.OS).workload(Workload.command("/bin/true")).settings(noCgroups).build());
    assertTrue(e.getMessage().contains("ContainerSettings.cgroupsDisabled belongs to the whole JVM"),
        e.getMessage());
  }
}
