package io.isolate.container.image;

import io.isolate.container.ContainerSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isolate.ExitResult;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Rootfs;
import io.isolate.StartFailedException;
import io.isolate.Termination;
import io.isolate.Workload;
import io.isolate.container.Prerequisites;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Isolates whose root is an image: layers stacked with overlayfs, whiteouts honoured, the writable layer discarded. */
class OciImageRunTest {
  @TempDir static Path dir;
  static List<byte[]> layers;

  @BeforeAll
  static void images() throws IOException {
    Prerequisites.requireOsLevel();
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
    System.setProperty(ContainerSettings.IMAGE_CACHE, dir.resolve("cache").toString());
    layers = List.of(TestImages.busyboxLayer(), TestImages.gz(l -> l.dir("etc").file("etc/.wh.doomed", "")
        .file("etc/added", "top\n").dir("opaque").file("opaque/.wh..wh..opq", "").file("opaque/new", "new\n")));
  }

  private static ExitResult run(Rootfs rootfs, String script) {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(rootfs)
        .workload(Workload.command("/bin/sh", "-c", script)).build()) {
      return isolate.run();
    }
  }

  private static void assertLayered(Rootfs rootfs) {
    ExitResult r = run(rootfs, "ls /etc; ls /opaque; cat /etc/added; echo scratch > /etc/written; cat /etc/written");
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals("added\nos-release\nnew\ntop\nscratch\n", r.stdoutText(), r::toString);
    ExitResult again = run(rootfs, "ls /etc/written 2>/dev/null || echo discarded");
    assertEquals("discarded\n", again.stdoutText(), "the writable layer is thrown away: " + again);
  }

  @Test
  void runsFromAnOciLayoutDirectory() throws IOException {
    assertLayered(Rootfs.ociImage(TestImages.ociLayout(dir.resolve("layout"), "1.0", layers), "1.0"));
  }

  @Test
  void runsFromAnOciLayoutTarball() throws IOException {
    Path layout = TestImages.ociLayout(dir.resolve("layout-for-tar"), "latest", layers);
    assertLayered(Rootfs.ociImage(TestImages.tarDirectory(layout, dir.resolve("oci.tar"))));
  }

  @Test
  void runsFromADockerSaveTarball() throws IOException {
    List<byte[]> plain = List.of(TestImages.tar(l -> { }), TestImages.tar(l -> l.file("marker", "docker\n")));
    Path base = TestImages.ociLayout(dir.resolve("base-for-docker"), "x", List.of(layers.get(0)));
    Path tarball = TestImages.dockerSave(dir.resolve("docker.tar"), "example/busybox:1.36",
        List.of(layers.get(0), layers.get(1), plain.get(1)));
    ExitResult r = run(Rootfs.ociImage(tarball, "1.36"), "cat /marker; id -u");
    assertEquals("docker\n0\n", r.stdoutText(), r::toString);
    assertTrue(base.toFile().exists());
  }

  @Test
  void theImagesEnvironmentAndWorkingDirectoryApplyUnderTheSpecs() throws IOException {
    ObjectNode process = TestImages.object("Env", TestImages.array("PATH=/bin", "FROM_IMAGE=yes", "BOTH=image"),
        "WorkingDir", "/etc");
    Path layout = TestImages.ociLayout(dir.resolve("configured"), "latest", layers, process);
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(Rootfs.ociImage(layout))
        .env("BOTH", "spec").workload(Workload.command("sh", "-c", "echo $FROM_IMAGE $BOTH $PATH; pwd")).build()) {
      ExitResult r = isolate.run();
      assertEquals("yes spec /bin\n/etc\n", r.stdoutText(), r::toString);
    }
  }

  @Test
  void runsTheImagesOwnCommandByDockersRules() throws IOException {
    ObjectNode process = TestImages.object("Entrypoint", TestImages.array("/bin/sh", "-c"),
        "Cmd", TestImages.array("echo from cmd; pwd", "argv0"), "WorkingDir", "/etc");
    Rootfs image = Rootfs.ociImage(TestImages.ociLayout(dir.resolve("with-command"), "latest", layers, process));
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(image)
        .workload(Workload.imageCommand()).build()) {
      ExitResult r = isolate.run();
      assertEquals("from cmd\n/etc\n", r.stdoutText(), r::toString);
    }
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(image)
        .workload(Workload.imageCommand("echo replaced $0", "zero")).build()) {
      assertEquals("replaced zero\n", isolate.run().stdoutText());
    }
    ObjectNode cmdOnly = TestImages.object("Cmd", TestImages.array("/bin/echo", "cmd only"));
    Rootfs plain = Rootfs.ociImage(TestImages.ociLayout(dir.resolve("cmd-only"), "latest", layers, cmdOnly));
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(plain)
        .workload(Workload.imageCommand()).build()) {
      assertEquals("cmd only\n", isolate.run().stdoutText());
    }
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(plain)
        .workload(Workload.imageCommand("/bin/echo", "args replace cmd")).build()) {
      assertEquals("args replace cmd\n", isolate.run().stdoutText());
    }
  }

  @Test
  void aMalformedImageCommandMattersOnlyToImageCommand() throws IOException {
    ObjectNode process = TestImages.object("Entrypoint", "/bin/sh -c not-a-list");
    Rootfs odd = Rootfs.ociImage(TestImages.ociLayout(dir.resolve("odd-command"), "latest", layers, process));
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(odd)
        .workload(Workload.command("/bin/echo", "fine")).build()) {
      assertEquals("fine\n", isolate.run().stdoutText());
    }
    StartFailedException e = assertThrows(StartFailedException.class, () -> Isolate.builder()
        .level(IsolationLevel.OS).rootfs(odd).workload(Workload.imageCommand()).build());
    assertTrue(e.getMessage().contains("Entrypoint is not a list of strings"), e.getMessage());
  }

  @Test
  void anImageWithoutACommandOrAnImageCommandWithoutAnImageIsRefusedClearly() throws IOException {
    Rootfs bare = Rootfs.ociImage(TestImages.ociLayout(dir.resolve("no-command"), "latest", layers));
    StartFailedException e = assertThrows(
        StartFailedException.class, () -> Isolate.builder().level(IsolationLevel.OS).rootfs(bare)
            .workload(Workload.imageCommand()).build());
    assertTrue(e.getMessage().contains("names no command"), e.getMessage());
    InvalidSpecException i = assertThrows(
        InvalidSpecException.class, () -> Isolate.builder().level(IsolationLevel.OS)
            .workload(Workload.imageCommand()).build());
    assertTrue(i.getMessage().contains("use Rootfs.ociImage"), i.getMessage());
  }

  @Test
  void whiteoutsMadeByTheConfinedUnpackerHideFilesInAStackedRoot() throws Exception {
    Path layout = TestImages.ociLayout(dir.resolve("own-layout"), "latest", layers);
    List<Path> dirs = new ImageStore(dir.resolve("own-cache")).layers(layout, null);
    var b = io.isolate.container.helper.HelperCommand.builder(io.isolate.container.helper.HelperBinary.path())
        .unshare(io.isolate.container.helper.HelperCommand.Namespace.USER,
            io.isolate.container.helper.HelperCommand.Namespace.PID)
        .idMaps(io.isolate.container.helper.HelperBinary.currentUid(),
            io.isolate.container.helper.HelperBinary.currentGid());
    dirs.forEach(b::overlaySource);
    List<String> argv = b.tmpOverlay("/").proc("/proc").command(List.of("/bin/sh", "-c", "ls /etc /opaque")).argv();
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertEquals("/etc:\nadded\nos-release\n\n/opaque:\nnew\n", out);
  }

  @Test
  void anUnknownTagFailsToBuildNamingTheTag() throws IOException {
    Path layout = TestImages.ociLayout(dir.resolve("tagged"), "1.0", layers);
    var e = assertThrows(StartFailedException.class,
        () -> Isolate.builder().level(IsolationLevel.OS).rootfs(Rootfs.ociImage(layout, "2.0"))
            .workload(Workload.command("/bin/true")).build());
    assertTrue(e.getMessage().contains("'2.0'"), e.getMessage());
  }

  @Test
  void theImagesUserIsLookedUpInItsOwnPasswdAndRunsTheWorkload() throws IOException {
    Prerequisites.require(io.isolate.container.helper.HelperBinary.currentUid() == 0,
        "a JVM running as root (an image user other than 0 needs a range of ids)");
    byte[] users = TestImages.gz(l -> l.dir("etc").file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"
        + "app:x:1234:1235::/home/app:/bin/sh\n").file("etc/group", "root:x:0:\napp:x:1235:\nstaff:x:50:\n"));
    for (String[] userAndIds : new String[][] {{"app", "1234 1235"}, {"app:staff", "1234 50"}, {"4321", "4321 0"},
        {"4321:77", "4321 77"}}) {
      Path layout = TestImages.ociLayout(dir.resolve("user-" + userAndIds[0].replace(':', '-')), "latest",
          List.of(layers.get(0), users), TestImages.object("User", userAndIds[0]));
      ExitResult r = run(Rootfs.ociImage(layout), "echo $(id -u) $(id -g)");
      assertEquals(userAndIds[1] + "\n", r.stdoutText(), userAndIds[0] + ": " + r);
    }
    Path unknown = TestImages.ociLayout(dir.resolve("user-unknown"), "latest", List.of(layers.get(0), users),
        TestImages.object("User", "nobody-here"));
    StartFailedException e = assertThrows(StartFailedException.class, () -> run(Rootfs.ociImage(unknown), "true"));
    assertTrue(e.getMessage().contains("'nobody-here' is not in its /etc/passwd"), e.getMessage());
  }

  @Test
  void aGracefulStopSendsTheImagesStopSignal() throws Exception {
    Path layout = TestImages.ociLayout(dir.resolve("stop-signal"), "latest", List.of(layers.get(0)),
        TestImages.object("StopSignal", "SIGUSR1"));
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(Rootfs.ociImage(layout))
        .workload(Workload.command("/bin/sh", "-c", "trap 'exit 4' USR1; trap 'exit 5' TERM; "
            + "while :; do sleep 0.05; done")).build()) {
      io.isolate.Execution e = isolate.start();
      Thread.sleep(300); // the traps are set
      e.stop(java.time.Duration.ofSeconds(10));
      ExitResult r = e.await();
      assertEquals(4, r.exitCode(), "SIGUSR1, the image's StopSignal, not SIGTERM: " + r);
    }
    assertEquals(2, ImageConfig.signalNumber("SIGINT"));
    assertEquals(2, ImageConfig.signalNumber("int"));
    assertEquals(10, ImageConfig.signalNumber("10"));
    assertEquals(0, ImageConfig.signalNumber("SIGKILL"), "a stop that cannot be handled is SIGTERM's");
    assertEquals(0, ImageConfig.signalNumber("SIGNOPE"));
  }

  @Test
  void anImagesExposedPortsArePublishedWhenTheIsolatePublishesNone(@org.junit.jupiter.api.io.TempDir Path www)
      throws Exception {
    java.nio.file.Files.writeString(www.resolve("index.html"), "exposed\n");
    Path layout = TestImages.ociLayout(dir.resolve("exposed"), "latest", List.of(layers.get(0)),
        TestImages.object("ExposedPorts", TestImages.object("8080/tcp", TestImages.object(), "53/udp",
            TestImages.object())));
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(Rootfs.ociImage(layout))
        .network(io.isolate.Network.LOOPBACK).mount(io.isolate.Mount.readOnly(www, "/www"))
        .workload(Workload.command("/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www")).build()) {
      assertEquals(List.of(new io.isolate.PublishedPort(0, 8080)), isolate.publishedPorts(), "TCP only");
      isolate.start();
      int port = isolate.mappedPort(8080);
      String body = null;
      for (int i = 0; i < 200 && body == null; i++) {
        try (java.io.InputStream in = java.net.URI.create("http://127.0.0.1:" + port + "/index.html").toURL()
            .openStream()) {
          body = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException notYet) {
          Thread.sleep(20);
        }
      }
      assertEquals("exposed\n", body);
    }
  }
}
