package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Mount;
import io.isolate.Rootfs;
import io.isolate.Termination;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountsTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireOsLevel();
  }

  @Test
  void anInMemoryFileAppearsEvenWhereTheHostHasNone() {
    try (Isolate isolate = Os.sh("cat /etc/isolate-test/app.conf; touch /etc/other 2>/dev/null && echo wrote")
        .mount(Mount.file("/etc/isolate-test/app.conf", "debug=true".getBytes(StandardCharsets.UTF_8))).build()) {
      ExitResult r = isolate.run();
      assertEquals("debug=true", r.stdoutText(), r::toString);
    }
  }

  @Test
  void anImageMountIsAReadOnlyHostFile(@TempDir Path dir) throws Exception {
    Path image = Files.writeString(dir.resolve("data.img"), "image bytes");
    try (Isolate isolate = Os.sh("cat /data.img; echo; echo x > /data.img 2>/dev/null || echo refused")
        .mount(Mount.image(image, "/data.img")).build()) {
      ExitResult r = isolate.run();
      assertEquals("image bytes\nrefused\n", r.stdoutText(), r::toString);
    }
    assertEquals("image bytes", Files.readString(image));
  }

  @Test
  void anImageSwappedForASymbolicLinkIsNotMounted(@TempDir Path dir) throws Exception {
    Path image = Files.writeString(dir.resolve("data.img"), "image bytes");
    Isolate.Builder b = Os.sh("cat /data.img").mount(Mount.image(image, "/data.img"));
    Files.delete(image);
    Files.createSymbolicLink(image, Path.of("/etc/hostname"));
    try (Isolate isolate = b.build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination(), r::toString);
      assertTrue(r.detail().contains("not a regular file"), r.detail());
    }
  }

  @Test
  void aTmpfsMountIsWritableAndSizeLimited() {
    try (Isolate isolate = Os.sh("head -c 2000000 /dev/zero > /scratch/f 2>/dev/null || echo full;"
        + " rm /scratch/f; head -c 100000 /dev/zero > /scratch/g && echo small-ok")
        .mount(Mount.tmpfs("/scratch", 1 << 20)).build()) {
      ExitResult r = isolate.run();
      assertEquals("full\nsmall-ok\n", r.stdoutText(), r::toString);
    }
  }

  @Test
  void procDevAndTmpAreFresh() {
    try (Isolate isolate = Os.sh("ls /dev | tr '\\n' ' '; echo; head -c 4 /dev/urandom | wc -c; ls /tmp | wc -l")
        .build()) {
      String out = isolate.run().stdoutText();
      assertEquals("fd full null random shm stderr stdin stdout tty urandom zero \n4\n0\n", out);
    }
  }

  @Test
  void aDirectoryRootfsIsUsedReadOnly(@TempDir Path root) throws IOException {
    Path bin = Files.createDirectories(root.resolve("bin"));
    Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
    Files.createSymbolicLink(bin.resolve("sh"), Path.of("busybox"));
    Prerequisites.requireFile("/bin/busybox", "busybox-static");
    try (Isolate isolate = Isolate.builder().level(io.isolate.IsolationLevel.OS)
        .workload(io.isolate.Workload.command("/bin/sh", "-c", "ls /; touch /x 2>/dev/null && echo wrote; echo ok"))
        .rootfs(Rootfs.directory(root)).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertTrue(r.stdoutText().contains("bin") && r.stdoutText().contains("proc"), r::toString);
      assertTrue(r.stdoutText().endsWith("ok\n") && !r.stdoutText().contains("wrote"), r::toString);
    }
    assertTrue(!Files.exists(root.resolve("proc")) && !Files.exists(root.resolve("x")),
        "the host directory was not changed");
  }

  @Test
  void aMountPointBehindASymlinkIsRefused(@TempDir Path root, @TempDir Path data) throws IOException {
    Prerequisites.requireFile("/bin/busybox", "busybox-static");
    Path bin = Files.createDirectories(root.resolve("bin"));
    Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
    Files.createDirectories(root.resolve("proc"));
    Files.createDirectories(root.resolve("dev"));
    Files.createDirectories(root.resolve("tmp"));
    Files.createSymbolicLink(root.resolve("data"), Path.of("/oldroot/tmp"));
    try (Isolate isolate = Isolate.builder().level(io.isolate.IsolationLevel.OS)
        .workload(io.isolate.Workload.command("/bin/busybox", "true"))
        .rootfs(Rootfs.directory(root)).mount(Mount.readOnly(data, "/data/x")).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination(), r::toString);
      assertTrue(r.detail().contains("symbolic link"), r.detail());
    }
  }
}
