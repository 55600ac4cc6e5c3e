package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.InvalidSpecException;
import io.isolate.Mount;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Guest;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files are capabilities: the guest sees exactly the mounts it was given, and cannot get out of them. */
class MountTest {
  @TempDir Path tmp;
  Path data;
  Path out;
  Path secret;

  @BeforeEach
  void files() throws Exception {
    data = Files.createDirectories(tmp.resolve("data"));
    out = Files.createDirectories(tmp.resolve("out"));
    secret = Files.writeString(tmp.resolve("secret.txt"), "host secret");
    Files.writeString(data.resolve("in.txt"), "content of in.txt\n");
    Files.createDirectories(data.resolve("sub"));
    Files.writeString(data.resolve("sub/deep.txt"), "deep\n");
    Files.createSymbolicLink(data.resolve("escape"), Path.of("../secret.txt"));
    Files.createSymbolicLink(data.resolve("absolute"), secret);
    Files.createSymbolicLink(data.resolve("inside"), Path.of("sub/deep.txt"));
  }

  private ExitResult fsops(String... args) {
    return Guest.run(Guest.builder(Fixtures.program("fsops", Libc.MUSL), args)
        .mount(Mount.readOnly(data, "/data"))
        .mount(Mount.readWrite(out, "/out"))
        .mount(Mount.file("/etc/app.conf", "debug=true\n".getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void readsAFileThroughAReadOnlyMount() {
    ExitResult r = fsops("cat", "/data/in.txt");
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("content of in.txt\n", r.stdoutText());
  }

  @Test
  void readsAnImageMountHeldInMemory() throws Exception {
    Path image = Files.writeString(tmp.resolve("image.bin"), "image content\n");
    ExitResult r = Guest.run(Guest.builder(Fixtures.program("fsops", Libc.MUSL), "cat", "/etc/image.bin")
        .mount(Mount.image(image, "/etc/image.bin")));
    assertEquals("image content\n", r.stdoutText(), r::toString);
  }

  @Test
  void refusesAnImageOverTheInMemoryCap() throws Exception {
    Path big = tmp.resolve("big.img");
    try (var f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength((256L << 20) + 1); // sparse: no disk space used
    }
    var builder = Guest.builder(Fixtures.program("fsops", Libc.MUSL), "cat", "/big").mount(Mount.image(big, "/big"));
    var e = assertThrows(InvalidSpecException.class, builder::build);
    assertTrue(e.getMessage().contains("holds image mounts in memory"), e.getMessage());
  }

  @Test
  void refusesAnImageSwappedForASymbolicLink() throws Exception {
    Path image = Files.writeString(tmp.resolve("swapped.bin"), "image content\n");
    var builder = Guest.builder(Fixtures.program("fsops", Libc.MUSL), "cat", "/etc/image.bin")
        .mount(Mount.image(image, "/etc/image.bin"));
    Files.delete(image);
    Files.createSymbolicLink(image, secret);
    ExitResult r = Guest.run(builder);
    assertEquals(io.isolate.Termination.FAILED_TO_START, r.termination(), r::toString);
    assertTrue(r.detail().contains("not a regular file"), r.detail());
  }

  @Test
  void readsAnInMemoryFile() {
    assertEquals("debug=true\n", fsops("cat", "/etc/app.conf").stdoutText());
  }

  @Test
  void cannotWriteToAReadOnlyMount() {
    ExitResult r = fsops("write", "/data/new.txt", "x");
    assertEquals(1, r.exitCode());
    assertTrue(r.stdoutText().contains("errno=30"), r.stdoutText()); // EROFS
    assertFalse(Files.exists(data.resolve("new.txt")));
  }

  @Test
  void writesAFileThroughAReadWriteMount() throws Exception {
    ExitResult r = fsops("write", "/out/result.txt", "written by the guest");
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("written by the guest", Files.readString(out.resolve("result.txt")));
    fsops("append", "/out/result.txt", "!");
    assertEquals("written by the guest!", Files.readString(out.resolve("result.txt")));
  }

  @Test
  void makesRenamesAndRemovesInAReadWriteMount() throws Exception {
    assertEquals(0, fsops("mkdir", "/out/d").exitCode());
    assertTrue(Files.isDirectory(out.resolve("d")));
    fsops("write", "/out/d/a", "a");
    assertEquals(0, fsops("mv", "/out/d/a", "/out/b").exitCode());
    assertEquals("a", Files.readString(out.resolve("b")));
    assertEquals(0, fsops("rm", "/out/b").exitCode());
    assertEquals(0, fsops("rmdir", "/out/d").exitCode());
    assertFalse(Files.exists(out.resolve("d")));
    assertTrue(fsops("mv", "/data/in.txt", "/out/stolen").stdoutText().contains("errno=30"));
  }

  @Test
  void busyboxTouchesCopiesAndListsInAReadWriteMount() throws Exception {
    var busybox = BusyboxTest.BUSYBOX;
    ExitResult touch = Guest.run(Guest.builder(busybox, "touch", "-d", "2001-02-03 04:05:06", "/out/t")
        .mount(Mount.readWrite(out, "/out")));
    assertEquals(0, touch.exitCode(), touch::toString);
    assertEquals(java.time.LocalDateTime.of(2001, 2, 3, 4, 5, 6).toEpochSecond(java.time.ZoneOffset.UTC),
        Files.getLastModifiedTime(out.resolve("t")).toInstant().getEpochSecond());
    ExitResult cp = Guest.run(Guest.builder(busybox, "cp", "/data/in.txt", "/out/copy.txt")
        .mount(Mount.readOnly(data, "/data")).mount(Mount.readWrite(out, "/out")));
    assertEquals(0, cp.exitCode(), cp::toString);
    assertEquals("content of in.txt\n", Files.readString(out.resolve("copy.txt")));
    ExitResult ls = Guest.run(Guest.builder(busybox, "ls", "/out").mount(Mount.readWrite(out, "/out")));
    assertEquals("copy.txt\nt\n", ls.stdoutText(), ls::toString);
  }

  @Test
  void listsDirectoriesAndTheSyntheticRoot() {
    assertEquals("absolute\nescape\nin.txt\ninside\nsub\n", sortLines(fsops("ls", "/data").stdoutText()));
    assertEquals("data\ndev\netc\nout\n", sortLines(fsops("ls", "/").stdoutText()));
    assertEquals("size=4096 dir=1 reg=0\n", fsops("stat", "/").stdoutText());
    assertEquals("size=18 dir=0 reg=1\n", fsops("stat", "/data/in.txt").stdoutText());
  }

  @Test
  void dotDotNeverLeavesTheGuestRoot() {
    ExitResult r = fsops("cat", "/data/../../../../" + secret.getFileName());
    assertEquals(1, r.exitCode());
    assertTrue(r.stdoutText().contains("errno=2"), r.stdoutText());
    assertEquals("content of in.txt\n", fsops("cat", "/data/sub/../../data/./in.txt").stdoutText());
  }

  @Test
  void symlinksAreResolvedInsideTheGuestNamespace() {
    assertEquals("deep\n", fsops("cat", "/data/inside").stdoutText());
    ExitResult relative = fsops("cat", "/data/escape");
    assertFalse(relative.stdoutText().contains("host secret"), relative.stdoutText());
    ExitResult absolute = fsops("cat", "/data/absolute");
    assertFalse(absolute.stdoutText().contains("host secret"), absolute.stdoutText());
    assertTrue(absolute.stdoutText().contains("errno=2"), absolute.stdoutText());
  }

  @Test
  void hasTheStandardCharacterDevices() {
    var busybox = BusyboxTest.BUSYBOX;
    ExitResult head = Guest.run(Guest.builder(busybox, "head", "-c", "16", "/dev/urandom"));
    assertEquals(16, head.stdout().length, head::toString);
    ExitResult zero = Guest.run(Guest.builder(busybox, "head", "-c", "4", "/dev/zero"));
    assertEquals("\0\0\0\0", zero.stdoutText());
    ExitResult devnull = Guest.run(Guest.builder(busybox, "cp", "/dev/stdin", "/dev/null")
        .stdin(io.isolate.Input.of("x")));
    assertEquals(0, devnull.exitCode(), devnull::toString);
    ExitResult stdin = Guest.run(Guest.builder(busybox, "cat", "/dev/stdin").stdin(io.isolate.Input.of("via dev")));
    assertEquals("via dev", stdin.stdoutText(), stdin::toString);
    assertEquals("full\nnull\nrandom\nstderr\nstdin\nstdout\nurandom\nzero\n",
        Guest.run(Guest.builder(busybox, "ls", "/dev")).stdoutText());
  }

  @Test
  void seesNothingThatWasNotMounted() {
    assertTrue(fsops("cat", "/etc/passwd").stdoutText().contains("errno=2"));
    assertTrue(fsops("cat", "/proc/self/maps").stdoutText().contains("errno=2"));
  }

  @Test
  void changesItsWorkingDirectory() {
    assertEquals("/data/sub\ndeep\n", fsops("cwd", "/data/sub", "deep.txt").stdoutText());
  }

  private static String sortLines(String s) {
    return String.join("\n", s.lines().sorted().toList()) + "\n";
  }
}
