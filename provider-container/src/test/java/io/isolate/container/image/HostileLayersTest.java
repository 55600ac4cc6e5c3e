package io.isolate.container.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Rootfs;
import io.isolate.Termination;
import io.isolate.Workload;
import io.isolate.container.HostFiles;
import io.isolate.container.Prerequisites;
import io.isolate.container.helper.HelperBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers built to change host files: each test plants victims (a file, a directory, a file in it), builds an image
 * whose entries aim at them, unpacks it or runs an isolate from it, and compares every victim before and after
 * (type, mode, size, content, extended attributes, the names in the directory). The first three are the primitives a
 * hostile-input campaign found writing host files through the earlier unpacker; the rest are their variants.
 * Whether a layer is refused or unpacked harmlessly, the victims must not change.
 */
class HostileLayersTest {
  @TempDir Path tmp;
  Path victims;
  Path victimFile;
  Path victimDir;
  ImageStore store;

  @BeforeEach
  void plantVictims() throws IOException {
    victims = Files.createDirectories(tmp.resolve("victims"));
    victimFile = Files.writeString(victims.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    Files.setPosixFilePermissions(victimFile, PosixFilePermissions.fromString("rw-r--r--"));
    victimDir = Files.createDirectories(victims.resolve("dir"));
    Files.setPosixFilePermissions(victimDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(victimDir.resolve("inside"), "keep\n");
    store = new ImageStore(tmp.resolve("cache"));
  }

  /** Everything an attack could change about the victims. */
  private Map<String, String> snapshot() throws IOException {
    return HostFiles.snapshot(victims);
  }

  private Path image(Consumer<TestImages.Layer> layer) throws IOException {
    return TestImages.ociLayout(tmp.resolve("img-" + System.nanoTime()), "latest", List.of(TestImages.gz(layer)));
  }

  /** Unpacks the image (refused or not) and asserts the victims are as they were; returns the refusal, if any. */
  private IOException unpackLeavesVictimsAlone(Path image) throws IOException {
    Map<String, String> before = snapshot();
    IOException refused = null;
    try {
      store.layers(image, null);
    } catch (IOException e) {
      refused = e;
    }
    assertEquals(before, snapshot(), "the victims changed");
    return refused;
  }

  private IOException unpackLeavesVictimsAlone(Consumer<TestImages.Layer> layer) throws IOException {
    return unpackLeavesVictimsAlone(image(layer));
  }

  @Test
  void aDirectoryModeIsNotAppliedThroughALinkThatReplacedTheDirectory() throws IOException {
    unpackLeavesVictimsAlone(l -> l.dirWithMode("x", 0777).symlink("x", victimFile.toString()));
    unpackLeavesVictimsAlone(l -> l.dirWithMode("x", 0777).symlink("x", victimDir.toString()).dirWithMode("x", 0700));
    unpackLeavesVictimsAlone(l -> l.dirWithMode("a/b", 0777).symlink("a", victims.toString()));
  }

  @Test
  void aWhiteoutOfASymbolicLinkDoesNotTruncateOrMarkItsTarget() throws IOException {
    unpackLeavesVictimsAlone(l -> l.symlink("v", victimFile.toString()).file(".wh.v", ""));
    unpackLeavesVictimsAlone(l -> l.symlink("v", victimFile.toString()).file(".wh.v", "").file(".wh.v", ""));
  }

  @Test
  void aWhiteoutInADirectoryLaterReplacedByALinkStaysInTheLayer() throws IOException {
    unpackLeavesVictimsAlone(l -> l.dir("d").file("d/.wh.planted", "").symlink("d", victimDir.toString()));
    unpackLeavesVictimsAlone(l -> l.dir("d").file("d/.wh..wh..opq", "").symlink("d", victimDir.toString()));
  }

  @Test
  void aLayerWhoseDigestIsWrongIsRefusedBeforeAnyEntryIsWritten() throws IOException {
    Path image = image(l -> l.symlink("v", victimFile.toString()).file(".wh.v", ""));
    byte[] other = TestImages.gz(l -> l.symlink("v", victimFile.toString()).file(".wh.v", "").file("more", "x"));
    for (Path blob : Files.list(image.resolve("blobs/sha256")).toList()) {
      if (Files.readAllBytes(blob)[0] == (byte) 0x1f) {
        Files.write(blob, other); // the layer blob, swapped for another whose digest it does not have
      }
    }
    IOException e = unpackLeavesVictimsAlone(image);
    assertTrue(e != null && e.getMessage().contains("hashes to"), String.valueOf(e));
    assertTrue(Files.list(tmp.resolve("cache/tmp")).findAny().isEmpty(), "no scratch directory was left");
  }

  @Test
  void writesThroughLinksAreRefusedHoweverTheLinkIsReached() throws IOException {
    // through a link, a chain of links, a link to a link's parent, an opaque marker and a whiteout under a link
    assertRefused(l -> l.symlink("e", victimDir.toString()).file("e/planted", "x"), "symbolic link");
    assertRefused(l -> l.symlink("a", "b").symlink("b", "c").symlink("c", victimDir.toString()).file("a/p", "x"),
        "symbolic link");
    assertRefused(l -> l.symlink("o", victimDir.toString()).file("o/.wh..wh..opq", ""), "symbolic link");
    assertRefused(l -> l.symlink("w", victimDir.toString()).file("w/.wh.inside", ""), "symbolic link");
    assertRefused(l -> l.symlink("h", victimDir.toString()).hardlink("stolen", "h/inside"), "symbolic link");
    assertRefused(l -> l.symlink("s", victimFile.toString()).hardlink("stolen", "s"), "not a regular file");
    assertRefused(l -> l.file("f", "x").file("f/below", "y"), "not a directory");
  }

  private void assertRefused(Consumer<TestImages.Layer> layer, String reason) throws IOException {
    IOException e = unpackLeavesVictimsAlone(layer);
    assertTrue(e != null && e.getMessage().contains(reason), "expected a refusal naming '" + reason + "': " + e);
  }

  @Test
  void laterEntriesReplaceEarlierLinksInsideTheLayerOnly() throws IOException {
    unpackLeavesVictimsAlone(l -> l.symlink("f", victimFile.toString()).file("f", "pwned"));
    unpackLeavesVictimsAlone(l -> l.symlink("d", victimDir.toString()).dir("d").file("d/inside", "pwned"));
    unpackLeavesVictimsAlone(l -> l.dir("d").file("d/x", "1").symlink("d", victimDir.toString()).dir("d")
        .file("d/inside", "pwned"));
    Path layer = store.layers(image(l -> l.symlink("f", victimFile.toString()).file("f", "mine")), null).get(0);
    assertEquals("mine", Files.readString(layer.resolve("f")), "the file replaced the link in the layer");
  }

  @Test
  void absoluteAndLongLinkTargetsAreKeptAsLinksNotFollowed() throws IOException {
    String deep = "../".repeat(200) + victimFile;
    Path layer = store.layers(image(l -> l.symlink("abs", victimFile.toString()).symlink("deep", deep)
        .dir("sub").symlink("sub/up", "../../../../../" + victims)), null).get(0);
    assertEquals(deep, Files.readSymbolicLink(layer.resolve("deep")).toString());
    assertTrue(Files.isSymbolicLink(layer.resolve("sub/up")));
  }

  @Test
  void theLayerPrimitivesLeaveTheHostAloneWhenAnIsolateRunsFromThem() throws IOException {
    Prerequisites.requireOsLevel();
    Prerequisites.require(HelperBinary.currentUid() == 0, "root: the attacks were found against a root JVM");
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
    byte[] busybox = TestImages.busyboxLayer();
    List<Consumer<TestImages.Layer>> attacks = new ArrayList<>(List.of(
        l -> l.dirWithMode("x", 0777).symlink("x", victimFile.toString()),
        l -> l.symlink("v", victimFile.toString()).file(".wh.v", ""),
        l -> l.dir("d").file("d/.wh.planted", "").symlink("d", victimDir.toString())));
    for (Consumer<TestImages.Layer> attack : attacks) {
      Map<String, String> before = snapshot();
      Path image = TestImages.ociLayout(tmp.resolve("run-" + System.nanoTime()), "latest",
          List.of(busybox, TestImages.gz(attack)));
      try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(Rootfs.ociImage(image))
          .workload(Workload.command("/bin/sh", "-c", "ls -la / >/dev/null; echo ran")).build()) {
        ExitResult r = isolate.run();
        assertEquals(Termination.EXITED, r.termination(), r::toString);
        assertEquals("ran\n", r.stdoutText(), r::toString);
      }
      assertEquals(before, snapshot(), "the victims changed");
    }
  }

  private interface Operation {
    void on(LayerWriter out) throws IOException;
  }

  /**
   * Below the Java checks: the helper's unpack mode is told outright to write through links and names that point at
   * the victims. Confined to the layer directory, it either fails or writes inside the layer; the victims do not
   * change. Run as root and as nobody (victims then owned by nobody, who could change them if unconfined).
   */
  @Test
  void theConfinedUnpackerCannotReachHostFilesEvenWhenToldTo() throws Exception {
    List<Operation> attacks = List.of(
        out -> out.chmodDirectory(victimDir.toString(), 0777),
        out -> out.remove(victimFile.toString()),
        out -> out.remove("../../victims/dir"),
        out -> out.whiteout(victimDir + "/planted"),
        out -> out.opaque(victimDir.toString()),
        out -> out.hardLink("stolen", victimFile.toString()),
        out -> out.file("../victims/passwd-new", 0644, 1, new java.io.ByteArrayInputStream(new byte[] {'x'}), () -> { }),
        out -> {
          out.symlink("link", victimDir.toString());
          out.file("link/planted", 0644, 1, new java.io.ByteArrayInputStream(new byte[] {'x'}), () -> { });
        },
        out -> {
          out.symlink("v", victimFile.toString());
          out.whiteout("v");
        },
        out -> {
          out.symlink("d", victimDir.toString());
          out.chmodDirectory("d", 0777);
          out.remove("d/inside");
        });
    boolean root = HelperBinary.currentUid() == 0;
    Prerequisites.require(root, "root (to run the unpacker as root and as nobody)");
    Prerequisites.requireFile("/usr/bin/setpriv", "util-linux setpriv");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path helper = Files.copy(HelperBinary.path(), tmp.resolve("isolate-helper"));
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("r-xr-xr-x"));
    for (boolean asNobody : new boolean[] {false, true}) {
      if (asNobody) {
        for (Path p : List.of(victims, victimDir, victimDir.resolve("inside"), victimFile)) {
          Files.setAttribute(p, "unix:uid", 65534);
          Files.setAttribute(p, "unix:gid", 65534);
        }
      }
      Map<String, String> before = snapshot();
      int index = 0;
      for (Operation attack : attacks) {
        Path layer = Files.createDirectory(tmp.resolve("layer-" + asNobody + "-" + index++));
        List<String> command = new ArrayList<>();
        if (asNobody) {
          Files.setAttribute(layer, "unix:uid", 65534);
          command.addAll(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        command.addAll(List.of(helper.toString(), "--unpack", layer.toString()));
        try (LayerWriter out = LayerWriter.start(command, System.nanoTime() + 60_000_000_000L)) {
          attack.on(out);
          out.finish();
        } catch (IOException refused) {
          // refused by the kernel inside the sandbox: the name did not exist there, or was not a directory
        }
        assertEquals(before, snapshot(), "the victims changed (as " + (asNobody ? "nobody" : "root") + ", attack "
            + (index - 1) + ")");
      }
      // the sandbox itself works for this user: a link is made inside the layer, not followed
      Path layer = Files.createDirectory(tmp.resolve("layer-ok-" + asNobody));
      if (asNobody) {
        Files.setAttribute(layer, "unix:uid", 65534);
      }
      List<String> command = new ArrayList<>(asNobody
          ? List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups") : List.of());
      command.addAll(List.of(helper.toString(), "--unpack", layer.toString()));
      try (LayerWriter out = LayerWriter.start(command, System.nanoTime() + 60_000_000_000L)) {
        out.symlink("link", victimFile.toString());
        out.whiteout("gone");
        out.finish();
      }
      assertTrue(Files.isSymbolicLink(layer.resolve("link")));
      assertEquals(0L, ((Number) Files.getAttribute(layer.resolve("gone"), "unix:rdev", LinkOption.NOFOLLOW_LINKS))
          .longValue());
    }
  }
}
