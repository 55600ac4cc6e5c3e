package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Mount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preopened directories: read-only and read-write host directories and in-memory files, and a guest that tries
 * every way out of them it can think of.
 */
class WasmFilesystemConfinementTest {
  private static final String SECRET = "TOP SECRET outside the mount";

  @TempDir Path tmp;
  private Path data;
  private Path out;
  private Path outside;

  @BeforeEach
  void setUp() throws IOException {
    data = Files.createDirectory(tmp.resolve("data"));
    out = Files.createDirectory(tmp.resolve("out"));
    outside = Files.writeString(tmp.resolve("outside.txt"), SECRET);
    Files.writeString(data.resolve("data.txt"), "line one\nline two\n");
    Files.createDirectory(data.resolve("sub"));
    Files.writeString(data.resolve("sub/nested.txt"), "nested");
    Files.writeString(out.resolve("old.txt"), "to be deleted");
    Files.writeString(out.resolve("keep.txt"), "kept");
    // Symlinks planted on the host, pointing out of the mount in every way.
    Files.createSymbolicLink(data.resolve("link_to_etc"), Path.of("/etc"));
    Files.createSymbolicLink(data.resolve("link_to_outside_abs"), outside);
    Files.createSymbolicLink(data.resolve("link_to_outside_rel"), Path.of("../outside.txt"));
    Files.createSymbolicLink(data.resolve("link_inside"), Path.of("data.txt"));
  }

  /** Runs fsprobe with {@code ops} and returns its output lines. */
  private List<String> probe(Isolate.Builder builder, String... ops) {
    try (Isolate isolate = builder.workload(io.isolate.Workload.wasm(Fixtures.wasm("fsprobe"), ops)).build()) {
      ExitResult r = isolate.run();
      assertTrue(r.isSuccess(), () -> r + "\n" + r.stderrText());
      assertFalse(r.stdoutText().contains(SECRET), "escaped to the secret:\n" + r.stdoutText());
      assertFalse(r.stdoutText().contains("root:"), "escaped to /etc/passwd:\n" + r.stdoutText());
      return Arrays.asList(r.stdoutText().split("\n"));
    }
  }

  private Isolate.Builder mounts() {
    return Fixtures.process("fsprobe").mount(Mount.readOnly(data, "/data")).mount(Mount.readWrite(out, "/out"));
  }

  private static void assertLine(List<String> lines, String prefix) {
    assertTrue(lines.stream().anyMatch(l -> l.startsWith(prefix)),
        "no line starting with '" + prefix + "' in\n" + String.join("\n", lines));
  }

  @Test
  void readsFilesFromAReadOnlyMount() {
    List<String> lines = probe(mounts(), "read", "/data/data.txt", "read", "/data/sub/nested.txt", "stat",
        "/data/data.txt", "read", "/data/link_inside");
    assertEquals("read /data/data.txt: OK line one|line two|", lines.get(0));
    assertEquals("read /data/sub/nested.txt: OK nested", lines.get(1));
    assertEquals("stat /data/data.txt: OK size=18", lines.get(2));
    assertLine(lines, "read /data/link_inside: OK line one");
  }

  @Test
  void refusesEveryWriteToAReadOnlyMount() throws IOException {
    List<String> lines = probe(mounts(), "write", "/data/new.txt", "x", "write", "/data/data.txt", "x",
        "append", "/data/data.txt", "x", "mkdir", "/data/newdir", "unlink", "/data/data.txt", "rmdir",
        "/data/sub", "rename", "/data/data.txt", "/data/moved.txt", "rename", "/data/data.txt", "/out/stolen.txt",
        "symlink", "data.txt", "/data/newlink", "read", "/data/data.txt");
    for (String line : lines.subList(0, lines.size() - 1)) {
      assertTrue(line.endsWith("ERR Read-only file system"), line);
    }
    assertEquals("read /data/data.txt: OK line one|line two|", lines.get(lines.size() - 1));
    assertEquals("line one\nline two\n", Files.readString(data.resolve("data.txt")));
    try (var files = Files.list(data)) {
      assertEquals(List.of("data.txt", "link_inside", "link_to_etc", "link_to_outside_abs", "link_to_outside_rel",
          "sub"), files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()));
    }
    assertFalse(Files.exists(out.resolve("stolen.txt")));
  }

  @Test
  void writesChangesOfAReadWriteMountBackToTheHost() throws IOException {
    List<String> lines = probe(mounts(), "write", "/out/result.txt", "42", "mkdir", "/out/dir", "write",
        "/out/dir/inner.txt", "inner", "unlink", "/out/old.txt", "append", "/out/keep.txt", "+more", "read",
        "/out/result.txt");
    assertLine(lines, "read /out/result.txt: OK 42");
    assertEquals("42", Files.readString(out.resolve("result.txt")));
    assertEquals("inner", Files.readString(out.resolve("dir/inner.txt")));
    assertEquals("kept+more", Files.readString(out.resolve("keep.txt")));
    assertFalse(Files.exists(out.resolve("old.txt")));
  }

  @Test
  void cannotLeaveAMountWithDotDotOrAbsolutePaths() {
    List<String> lines = probe(mounts(), "read", "/data/../outside.txt", "read", "/data/../../../../etc/passwd",
        "read", "../outside.txt", "read", "/etc/passwd", "read", outside.toString(), "list", "/", "list",
        "/data/..", "write", "/out/../escaped.txt", "x", "read", "/data/sub/../../outside.txt");
    for (String line : lines) {
      assertTrue(line.contains(": ERR "), line);
    }
    assertFalse(Files.exists(tmp.resolve("escaped.txt")));
  }

  @Test
  void cannotFollowHostSymlinksOutOfAMount() {
    List<String> lines = probe(mounts(), "read", "/data/link_to_etc/passwd", "list", "/data/link_to_etc",
        "read", "/data/link_to_outside_abs", "read", "/data/link_to_outside_rel", "stat", "/data/link_to_etc/passwd");
    for (String line : lines) {
      assertTrue(line.contains(": ERR "), line);
    }
  }

  @Test
  void cannotEscapeThroughSymlinksItCreatesAndLeavesNoneOnTheHost() throws IOException {
    List<String> lines = probe(mounts(), "symlink", "/etc/passwd", "/out/evil", "read", "/out/evil", "symlink",
        "../../../../../etc", "/out/up", "read", "/out/up/passwd", "symlink", outside.toString(), "/out/abs",
        "read", "/out/abs", "write", "/out/up/passwd", "overwritten", "symlink", "keep.txt", "/out/alias", "read",
        "/out/alias");
    for (String line : lines.subList(0, lines.size() - 2)) {
      assertTrue(line.contains(": ERR "), line);
    }
    assertLine(lines, "symlink /out/alias: OK");
    assertLine(lines, "read /out/alias: OK kept");
    assertFalse(Files.exists(out.resolve("evil"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(out.resolve("up"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(out.resolve("abs"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(out.resolve("alias"), LinkOption.NOFOLLOW_LINKS), "guest symlinks stay in the guest");
    assertEquals("kept", Files.readString(out.resolve("keep.txt")));
  }

  @Test
  void writeBackDoesNotFollowASymlinkPlantedOnTheHostDuringTheRun() throws IOException {
    Path victim = Files.createDirectory(tmp.resolve("victim"));
    try (GuestFileSystem gfs = GuestFileSystem.create(List.of(Mount.readWrite(out, "/out")),
        WasmSettings.DEFAULTS.maxMountBytes())) {
      Path guestRoot = gfs.preopens().get(0).root;
      Files.createDirectory(guestRoot.resolve("d"));
      Files.writeString(guestRoot.resolve("d/f.txt"), "guest data");
      Files.writeString(guestRoot.resolve("link.txt"), "guest data");
      // Meanwhile, on the host, someone puts symlinks where the guest's new entries will go.
      Files.createSymbolicLink(out.resolve("d"), victim);
      Files.createSymbolicLink(out.resolve("link.txt"), victim.resolve("g.txt"));
      String problems = gfs.writeBack();
      assertTrue(problems.contains("refused"), problems);
    }
    try (var files = Files.list(victim)) {
      assertEquals(0, files.count(), "nothing was written outside the mount");
    }
  }

  @Test
  void mountsADirectoryGivenThroughASymlinkByTheApplication() throws IOException {
    Path alias = Files.createSymbolicLink(tmp.resolve("alias"), data);
    List<String> lines = probe(Fixtures.process("fsprobe").mount(Mount.readOnly(alias, "/data")), "read",
        "/data/data.txt");
    assertEquals("read /data/data.txt: OK line one|line two|", lines.get(0));
  }

  @Test
  void capsWhatIsCopiedInAndWhatTheGuestCanWrite() throws IOException {
    String previous = System.setProperty("isolate.wasm.maxMountBytes", "65536");
    try {
      List<String> lines = probe(mounts(), "write", "/out/big.txt", "x".repeat(100_000), "write", "/out/small.txt",
          "fits");
      assertTrue(lines.get(0).contains(": ERR "), lines.get(0));
      assertEquals("write /out/small.txt: OK", lines.get(1));
      Files.write(data.resolve("large.bin"), new byte[100_000]);
      try (Isolate isolate = mounts().workload(io.isolate.Workload.wasm(Fixtures.wasm("fsprobe"))).build()) {
        ExitResult r = isolate.run();
        assertEquals(io.isolate.Termination.FAILED_TO_START, r.termination());
        assertTrue(r.detail().contains("holds more than 64 KiB (isolate.wasm.maxMountBytes)"), r::detail);
      }
    } finally {
      if (previous == null) {
        System.clearProperty("isolate.wasm.maxMountBytes");
      } else {
        System.setProperty("isolate.wasm.maxMountBytes", previous);
      }
    }
  }

  @Test
  void seesNothingWithoutMounts() {
    List<String> lines = probe(Fixtures.process("fsprobe"), "read", "/etc/passwd", "list", "/", "write",
        "/tmp/x", "x");
    for (String line : lines) {
      assertTrue(line.contains(": ERR "), line);
    }
  }

  @Test
  void servesInMemoryFilesReadOnly() {
    List<String> lines = probe(mounts().mount(Mount.file("/etc/app.conf", "debug=true".getBytes(StandardCharsets.UTF_8)))
        .mount(Mount.file("/data/extra.txt", "extra".getBytes(StandardCharsets.UTF_8))), "read", "/etc/app.conf",
        "write", "/etc/app.conf", "x", "read", "/data/extra.txt", "list", "/etc");
    assertEquals("read /etc/app.conf: OK debug=true", lines.get(0));
    assertTrue(lines.get(1).endsWith("ERR Read-only file system"), lines.get(1));
    assertEquals("read /data/extra.txt: OK extra", lines.get(2));
    assertEquals("list /etc: OK app.conf,", lines.get(3));
    assertFalse(Files.exists(data.resolve("extra.txt")));
  }

  @Test
  void servesAnImageMountAsAReadOnlyCopy(@TempDir Path dir) throws Exception {
    Path image = Files.writeString(dir.resolve("data.img"), "image");
    List<String> lines = probe(mounts().mount(Mount.image(image, "/etc/data.img")), "read", "/etc/data.img",
        "write", "/etc/data.img", "x");
    assertEquals("read /etc/data.img: OK image", lines.get(0));
    assertTrue(lines.get(1).endsWith("ERR Read-only file system"), lines.get(1));
    assertEquals("image", Files.readString(image));
  }

  @Test
  void aFileMountInsideAReadWriteMountIsNotWrittenBack() {
    probe(mounts().mount(Mount.file("/out/config.txt", "c".getBytes(StandardCharsets.UTF_8))), "read",
        "/out/config.txt");
    assertFalse(Files.exists(out.resolve("config.txt")));
  }

  @Test
  void givesATmpfsThatLeavesNoTrace() {
    List<String> lines = probe(Fixtures.process("fsprobe").mount(Mount.tmpfs("/scratch", 1 << 20)), "write",
        "/scratch/a.txt", "scratch", "read", "/scratch/a.txt");
    assertEquals("read /scratch/a.txt: OK scratch", lines.get(1));
  }
}
