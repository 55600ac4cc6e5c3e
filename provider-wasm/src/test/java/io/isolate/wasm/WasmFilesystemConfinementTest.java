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
  void writesToTheHostDirectoryOfAReadWriteMount() throws IOException {
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
  void createsOnlySymlinksThatStayInsideAndCannotEscapeThroughThem() throws IOException {
    Files.createDirectory(out.resolve("sub"));
    List<String> lines = probe(mounts(), "symlink", "/etc/passwd", "/out/evil", "read", "/out/evil", "symlink",
        "../../../../../etc", "/out/up", "read", "/out/up/passwd", "symlink", outside.toString(), "/out/abs",
        "read", "/out/abs", "write", "/out/up/passwd", "overwritten", "symlink", "../..", "/out/sub/up2",
        "symlink", "keep.txt", "/out/alias", "read", "/out/alias", "symlink", "../keep.txt", "/out/sub/back",
        "read", "/out/sub/back");
    for (String line : lines.subList(0, 8)) {
      assertTrue(line.contains(": ERR "), line);
    }
    assertLine(lines, "symlink /out/alias: OK");
    assertLine(lines, "read /out/alias: OK kept");
    assertLine(lines, "read /out/sub/back: OK kept");
    assertFalse(Files.exists(out.resolve("evil"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(out.resolve("up"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(out.resolve("abs"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(out.resolve("sub/up2"), LinkOption.NOFOLLOW_LINKS));
    // The links a guest may make are on the host as written: relative, and leading a host program inside too.
    assertEquals(Path.of("keep.txt"), Files.readSymbolicLink(out.resolve("alias")));
    assertEquals(Path.of("../keep.txt"), Files.readSymbolicLink(out.resolve("sub/back")));
    assertEquals("kept", Files.readString(out.resolve("sub/back")));
    assertEquals("kept", Files.readString(out.resolve("keep.txt")));
  }

  @Test
  void neverFollowsALinkPlantedOnTheHostOutOfTheMount() throws IOException {
    Path victim = Files.createDirectory(tmp.resolve("victim"));
    // On the host, someone puts links where the guest will write.
    Files.createSymbolicLink(out.resolve("d"), victim);
    Files.createSymbolicLink(out.resolve("rel"), Path.of("../victim"));
    Files.createSymbolicLink(out.resolve("file.txt"), victim.resolve("g.txt"));
    List<String> lines = probe(mounts(), "write", "/out/d/f.txt", "guest data", "write", "/out/rel/f.txt",
        "guest data", "write", "/out/file.txt", "guest data", "mkdir", "/out/d/sub", "symlink", "x", "/out/rel/l",
        "rename", "/out/keep.txt", "/out/d/moved.txt");
    for (String line : lines) {
      assertTrue(line.contains(": ERR "), line);
    }
    try (var files = Files.list(victim)) {
      assertEquals(0, files.count(), "nothing was written outside the mount");
    }
    assertEquals("kept", Files.readString(out.resolve("keep.txt")));
  }

  @Test
  void refusesToOpenAFifoPlantedInTheMountInsteadOfHanging() throws Exception {
    Process mkfifo = new ProcessBuilder("mkfifo", data.resolve("fifo").toString()).inheritIO().start();
    assertEquals(0, mkfifo.waitFor(), "mkfifo");
    List<String> lines = probe(mounts(), "read", "/data/fifo", "read",
        "/data/data.txt");
    assertTrue(lines.get(0).contains(": ERR "), lines.get(0));
    assertEquals("read /data/data.txt: OK line one|line two|", lines.get(1));
  }

  @Test
  void isolatesSharingADirectorySeeEachOthersChangesAtOnce() throws IOException {
    try (Isolate writer = mounts().workload(io.isolate.Workload.wasm(Fixtures.wasm("fsprobe"), "write",
        "/out/shared.txt", "from the first")).build();
        Isolate reader = mounts().workload(io.isolate.Workload.wasm(Fixtures.wasm("fsprobe"), "read",
            "/out/shared.txt")).build()) {
      assertTrue(writer.run().isSuccess());
      // written on the host by the write itself, not when the isolate ends
      assertEquals("from the first", Files.readString(out.resolve("shared.txt")));
      assertTrue(reader.run().stdoutText().contains("read /out/shared.txt: OK from the first"));
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
  void servesAndTakesMoreThanTheInMemoryCapBecauseNothingIsCopied() throws IOException {
    String previous = System.setProperty("isolate.wasm.maxMountBytes", "65536");
    try {
      Files.write(data.resolve("large.bin"), new byte[1 << 20]);
      List<String> lines = probe(mounts(), "write", "/out/big.txt", "x".repeat(100_000), "stat", "/data/large.bin");
      assertEquals("write /out/big.txt: OK", lines.get(0));
      assertEquals(100_000, Files.size(out.resolve("big.txt")));
      assertTrue(lines.get(1).startsWith("stat /data/large.bin: OK"), lines.get(1));
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
  void aFileMountInsideAReadWriteMountIsServedReadOnlyAndNeverReachesTheHost() throws IOException {
    Files.writeString(out.resolve("config.txt"), "the host's own");
    List<String> lines = probe(mounts().mount(Mount.file("/out/conf/app.txt", "c".getBytes(StandardCharsets.UTF_8)))
        .mount(Mount.file("/out/config.txt", "given".getBytes(StandardCharsets.UTF_8))), "read", "/out/conf/app.txt",
        "read", "/out/config.txt", "write", "/out/config.txt", "x", "unlink", "/out/config.txt", "write",
        "/out/conf/new.txt", "x", "list", "/out", "write", "/out/other.txt", "y");
    assertEquals("read /out/conf/app.txt: OK c", lines.get(0));
    assertEquals("read /out/config.txt: OK given", lines.get(1));
    for (String line : lines.subList(2, 5)) {
      assertTrue(line.contains(": ERR "), line);
    }
    assertTrue(lines.get(5).startsWith("list /out: OK ") && lines.get(5).contains("conf,")
        && lines.get(5).contains("config.txt,") && lines.get(5).contains("keep.txt,"), lines.get(5));
    assertEquals("write /out/other.txt: OK", lines.get(6));
    assertFalse(Files.exists(out.resolve("conf")));
    assertEquals("the host's own", Files.readString(out.resolve("config.txt")));
  }

  @Test
  void givesATmpfsThatLeavesNoTrace() {
    List<String> lines = probe(Fixtures.process("fsprobe").mount(Mount.tmpfs("/scratch", 1 << 20)), "write",
        "/scratch/a.txt", "scratch", "read", "/scratch/a.txt");
    assertEquals("read /scratch/a.txt: OK scratch", lines.get(1));
  }
}
