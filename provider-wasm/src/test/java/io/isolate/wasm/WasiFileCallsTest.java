package io.isolate.wasm;

import static io.isolate.wasm.ModuleBytes.bytes;
import static io.isolate.wasm.ModuleBytes.export;
import static io.isolate.wasm.ModuleBytes.vector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import io.isolate.Mount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The WASI file calls {@link WasiFileCalls} answers, called directly as the guest would call them (a tmpfs preopened
 * as descriptor 3 and another as 4, a module that is nothing but one page of memory): what the public WASI test
 * suite does not pin down, such as what a hard link to a symbolic link points to, which flags may change, and that a
 * path outside guest memory traps.
 */
class WasiFileCallsTest {
  private static final int DIR = 3;
  private static final int RIGHTS_FILE = 1 << 1 | 1 << 2 | 1 << 5 | 1 << 6; // fd_read, fd_seek, fd_tell, fd_write
  private static final int FD_PTR = 0;
  private static final int RESULT_PTR = 8; // u64 answers
  private static final int IOVEC = 16;
  private static final int STAT = 32; // 24 bytes of fdstat
  private static final int DATA = 64;
  private static final int PATH = 128;
  private static final int PATH2 = 256;

  private GuestFileSystem fs;
  private WasiPreview1 wasi;
  private Map<String, HostFunction> functions;
  private Instance instance;
  private Memory memory;
  private Path root;

  @BeforeEach
  void setUp() throws IOException {
    fs = GuestFileSystem.create(List.of(Mount.tmpfs("/", 1 << 20), Mount.tmpfs("/other", 1 << 20)), 1 << 20);
    root = fs.preopens().get(0).root; // descriptor 3; /other is 4
    WasiOptions.Builder options = WasiOptions.builder();
    for (GuestFileSystem.Preopen p : fs.preopens()) {
      options.withDirectory(p.guestPath, p.root);
    }
    wasi = WasiPreview1.builder().withOptions(options.build()).build();
    functions = new HashMap<>();
    for (HostFunction f : new WasiImports(fs.preopens()).functions(wasi)) {
      functions.put(f.name(), f);
    }
    byte[] module = new ModuleBytes()
        .section(5, vector(1, i -> bytes(0x00, 0x01))) // one memory of one page
        .section(7, vector(1, i -> export("memory", 2, 0)))
        .toByteArray();
    instance = Instance.builder(Parser.parse(module)).withStart(false).build();
    memory = instance.memory();
  }

  @AfterEach
  void tearDown() {
    wasi.close();
    fs.close();
  }

  @Test
  void anAppendingFileCanBeReadTruncatedAndSwitchedToOverwriting() throws IOException {
    Files.write(root.resolve("f"), utf8("old content"));
    int fd = open("f", 1 | 8, 1); // O_CREAT|O_TRUNC, APPEND: Chicory alone refuses the pair
    write(fd, "ab");
    seek(fd, 0);
    write(fd, "cd");
    assertEquals("abcd", content("f"), "writes go to the end");
    assertEquals(4, tell(fd));
    assertEquals(1, fdFlags(fd), "fd_fdstat_get reports APPEND");
    seek(fd, 0);
    assertEquals("abcd", read(fd, 10), "an appending file opened with fd_read can be read");

    assertEquals(0, call("fd_pwrite", fd, iovec("X"), 1, 1, RESULT_PTR));
    assertEquals("aXcd", content("f"), "pwrite writes at its offset, as POSIX says");

    assertEquals(0, call("fd_fdstat_set_flags", fd, 0));
    assertEquals(0, fdFlags(fd));
    seek(fd, 0);
    write(fd, "xy");
    assertEquals("xycd", content("f"), "without APPEND, writes go to the position");

    assertEquals(0, call("fd_fdstat_set_flags", fd, 1 | 4), "APPEND and NONBLOCK may change");
    assertEquals(1 | 4, fdFlags(fd));
    write(fd, "!");
    assertEquals("xycd!", content("f"));
  }

  @Test
  void theSyncFlagsOfAnOpenFileCannotChange() {
    int fd = open("f", 1, 0);
    assertEquals(WasiNumbers.ENOTSUP, call("fd_fdstat_set_flags", fd, WasiNumbers.FDFLAGS_SYNC),
        "Java fixes them when it opens a file");
    assertEquals(WasiNumbers.EINVAL, call("fd_fdstat_set_flags", fd, 1 << 5), "not a flag");
    assertEquals(WasiNumbers.EBADF, call("fd_fdstat_set_flags", 99, 0));
    assertEquals(0, call("fd_fdstat_set_flags", DIR, 0), "a directory: Chicory's answer");
  }

  @Test
  void appendFollowsADescriptorThroughRenumberAndEndsWithClose() throws IOException {
    int appending = open("a", 1, 1);
    int other = open("b", 1, 0);
    assertEquals(0, call("fd_renumber", appending, other));
    write(other, "12");
    seek(other, 0);
    write(other, "3");
    assertEquals("123", content("a"));
    assertEquals(0, call("fd_close", other));
    int reused = open("c", 1, 0); // Chicory hands out a freed number again
    write(reused, "45");
    seek(reused, 0);
    write(reused, "6");
    assertEquals("65", content("c"), "a new file on a reused number does not append");
  }

  @Test
  void aHardLinkToASymbolicLinkIsASymbolicLinkWithTheSameTarget() throws IOException {
    Files.createDirectory(root.resolve("d"));
    Files.createSymbolicLink(root.resolve("d/link"), root.getFileSystem().getPath("missing/target"));
    assertEquals(0, link(0, "d/link", "d/copy"));
    assertEquals("missing/target", Files.readSymbolicLink(root.resolve("d/copy")).toString());

    Files.write(root.resolve("file"), utf8("x"));
    assertEquals(0, link(0, "file", "hard"));
    assertTrue(Files.isSameFile(root.resolve("file"), root.resolve("hard")), "a regular file is linked itself");

    assertEquals(WasiNumbers.EINVAL, link(WasiNumbers.LOOKUP_SYMLINK_FOLLOW, "file", "other"));
    assertEquals(WasiNumbers.EEXIST, link(0, "file", "d/link"), "a dangling link holds its name");
    assertEquals(WasiNumbers.EPERM, link(0, "d", "dirlink"));
    assertEquals(WasiNumbers.ENOENT, link(0, "nothing", "other"));
    assertEquals(WasiNumbers.ENOENT, link(0, "file", "other/"));
    assertFalse(Files.exists(root.resolve("other"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(WasiNumbers.EXDEV, call("path_link", DIR, 0, PATH, put(PATH, "file"), DIR + 1, PATH2,
        put(PATH2, "x")), "another mount is another file system");
  }

  @Test
  void aSymbolicLinkNameWithATrailingSlashNamesADirectory() throws IOException {
    Files.createDirectory(root.resolve("dir"));
    Files.write(root.resolve("file"), utf8("x"));
    Files.createSymbolicLink(root.resolve("dangling"), root.getFileSystem().getPath("nowhere"));
    assertEquals(WasiNumbers.ENOENT, symlink("target", "new/"));
    assertEquals(WasiNumbers.EEXIST, symlink("target", "dir/"));
    assertEquals(WasiNumbers.ENOTDIR, symlink("target", "file/"));
    assertEquals(WasiNumbers.EEXIST, symlink("target", "dangling"));
    assertEquals(0, symlink("target", "new"));
    assertTrue(Files.isSymbolicLink(root.resolve("new")));
  }

  @Test
  void settingTimesWithoutFollowingChangesTheLinkNotItsTarget() throws IOException {
    Files.write(root.resolve("file"), utf8("x"));
    Files.createSymbolicLink(root.resolve("link"), root.getFileSystem().getPath("file"));
    FileTime fileTime = Files.getLastModifiedTime(root.resolve("file"));
    long nanos = 1_000_000_000_123L;
    int mtim = WasiNumbers.FSTFLAGS_MTIM;
    assertEquals(0, call("path_filestat_set_times", DIR, 0, PATH, put(PATH, "link"), 0, nanos, mtim));
    assertEquals(nanos, Files.getLastModifiedTime(root.resolve("link"), LinkOption.NOFOLLOW_LINKS)
        .to(java.util.concurrent.TimeUnit.NANOSECONDS));
    assertEquals(fileTime, Files.getLastModifiedTime(root.resolve("file")));

    assertEquals(0, call("path_filestat_set_times", DIR, WasiNumbers.LOOKUP_SYMLINK_FOLLOW, PATH,
        put(PATH, "link"), 0, nanos, mtim));
    assertEquals(FileTime.from(java.time.Instant.ofEpochSecond(1000, 123)),
        Files.getLastModifiedTime(root.resolve("file")));

    assertEquals(WasiNumbers.EINVAL, call("path_filestat_set_times", DIR, 0, PATH, put(PATH, "file"), 0, nanos,
        mtim | WasiNumbers.FSTFLAGS_MTIM_NOW));
    assertEquals(WasiNumbers.ENOENT, call("path_filestat_set_times", DIR, 0, PATH, put(PATH, "none"), 0, nanos,
        mtim));
  }

  @Test
  void aDirectoryDoesNotOfferTruncationByPathAsARight() {
    assertEquals(0, call("fd_fdstat_get", DIR, STAT));
    assertEquals(WasiNumbers.FILETYPE_DIRECTORY, memory.read(STAT));
    assertEquals(0, memory.readLong(STAT + 8) & WasiNumbers.RIGHT_PATH_FILESTAT_SET_SIZE);
    assertTrue((memory.readLong(STAT + 16) & WasiNumbers.RIGHT_FD_FILESTAT_SET_SIZE) != 0,
        "files opened from it may still be truncated");
  }

  @Test
  void aPathOutsideGuestMemoryTraps() {
    int pages = memory.pages() * Memory.PAGE_SIZE;
    assertThrows(WasmRuntimeException.class,
        () -> call("path_link", DIR, 0, pages - 2, 4, DIR, PATH2, put(PATH2, "x")));
    assertThrows(WasmRuntimeException.class,
        () -> call("path_symlink", PATH, put(PATH, "x"), DIR, 0xffff_fff0L, 0x20));
    assertThrows(WasmRuntimeException.class,
        () -> call("path_filestat_set_times", DIR, 0, PATH, 0xffff_ffffL, 0, 0, 0));
  }

  private int open(String path, int oflags, int fdflags) {
    assertEquals(0, call("path_open", DIR, 0, PATH, put(PATH, path), oflags, RIGHTS_FILE, 0, fdflags, FD_PTR));
    return memory.readInt(FD_PTR);
  }

  private int link(int flags, String from, String to) {
    return call("path_link", DIR, flags, PATH, put(PATH, from), DIR, PATH2, put(PATH2, to));
  }

  private int symlink(String target, String name) {
    return call("path_symlink", PATH, put(PATH, target), DIR, PATH2, put(PATH2, name));
  }

  private void write(int fd, String text) {
    assertEquals(0, call("fd_write", fd, iovec(text), 1, RESULT_PTR));
  }

  private String read(int fd, int max) {
    memory.writeI32(IOVEC, DATA);
    memory.writeI32(IOVEC + 4, max);
    assertEquals(0, call("fd_read", fd, IOVEC, 1, RESULT_PTR));
    return new String(memory.readBytes(DATA, memory.readInt(RESULT_PTR)), StandardCharsets.UTF_8);
  }

  private int iovec(String text) {
    memory.writeI32(IOVEC, DATA);
    memory.writeI32(IOVEC + 4, put(DATA, text));
    return IOVEC;
  }

  private void seek(int fd, long offset) {
    assertEquals(0, call("fd_seek", fd, offset, 0, RESULT_PTR));
  }

  private long tell(int fd) {
    assertEquals(0, call("fd_tell", fd, RESULT_PTR));
    return memory.readLong(RESULT_PTR);
  }

  private int fdFlags(int fd) {
    assertEquals(0, call("fd_fdstat_get", fd, STAT));
    return memory.readShort(STAT + 2);
  }

  private String content(String path) throws IOException {
    return new String(Files.readAllBytes(root.resolve(path)), StandardCharsets.UTF_8);
  }

  private int put(int address, String text) {
    byte[] b = utf8(text);
    memory.write(address, b);
    return b.length;
  }

  private int call(String name, long... args) {
    return (int) functions.get(name).handle().apply(instance, args)[0];
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
