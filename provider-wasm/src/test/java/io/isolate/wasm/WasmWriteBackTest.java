package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Mount;
import io.isolate.Termination;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-back of a read-write mount failing for real: the mount is a 64 KiB tmpfs that the guest's new file
 * does not fit on. Needs root (to mount the tmpfs); skipped otherwise.
 */
class WasmWriteBackTest {

  @Test
  void aWriteBackThatDoesNotFitFailsTheRunAndLeavesTheHostFileAsItWas(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Files.createDirectory(out);
    mountTmpfs(out, "64k");
    try {
      String original = "A".repeat(16 << 10);
      Files.writeString(out.resolve("data.txt"), original);
      String big = "B".repeat(200 << 10);
      ExitResult r;
      try (Isolate isolate = Fixtures.process("fsprobe", "write", "/out/small.txt", "fits",
              "write", "/out/data.txt", big)
          .mount(Mount.readWrite(out, "/out")).build()) {
        r = isolate.run();
      }
      // The guest was told its 200 KiB were written (into its in-memory copy): it exited 0.
      assertTrue(r.stdoutText().contains("write /out/data.txt: OK"), r::stdoutText);
      // The run is no success: FAULT, the machinery around the guest failed, with the reason.
      assertEquals(Termination.FAULT, r.termination(), r::toString);
      assertFalse(r.isSuccess());
      assertTrue(r.detail().contains("the guest exited with code 0")
          && r.detail().contains("could not be written back") && r.detail().contains("data.txt"), r::detail);
      // Every host file is as it was or complete: data.txt untouched, small.txt whole, no temporary file left.
      assertEquals(original, Files.readString(out.resolve("data.txt")));
      assertEquals("fits", Files.readString(out.resolve("small.txt")));
      try (Stream<Path> files = Files.list(out)) {
        assertEquals(List.of("data.txt", "small.txt"),
            files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()));
      }
    } finally {
      run("umount", out.toString());
    }
  }

  @Test
  void aWriteBackThatFitsReplacesTheFileWhole(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Files.createDirectory(out);
    Files.writeString(out.resolve("data.txt"), "old content that is longer than the new one");
    Files.setPosixFilePermissions(out.resolve("data.txt"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    ExitResult r;
    try (Isolate isolate = Fixtures.process("fsprobe", "write", "/out/data.txt", "new")
        .mount(Mount.readWrite(out, "/out")).build()) {
      r = isolate.run();
    }
    assertTrue(r.isSuccess(), r::toString);
    assertEquals("new", Files.readString(out.resolve("data.txt")));
    assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(out.resolve("data.txt"))), "the replaced file keeps its permissions");
    try (Stream<Path> files = Files.list(out)) {
      assertEquals(1, files.count(), "no temporary file left");
    }
  }

  private static void mountTmpfs(Path dir, String size) throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    assumeTrue(root, "mounting a tmpfs needs root");
    int status = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
    assertEquals(0, status, "mount -t tmpfs failed although we are root");
  }

  private static int run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).inheritIO().start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }
}
