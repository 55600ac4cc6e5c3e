package io.isolate.wasm;

import static io.isolate.wasm.WasiNumbers.EACCES;
import static io.isolate.wasm.WasiNumbers.EEXIST;
import static io.isolate.wasm.WasiNumbers.EINVAL;
import static io.isolate.wasm.WasiNumbers.EIO;
import static io.isolate.wasm.WasiNumbers.ELOOP;
import static io.isolate.wasm.WasiNumbers.ENOENT;
import static io.isolate.wasm.WasiNumbers.ENOTDIR;
import static io.isolate.wasm.WasiNumbers.ENOTSUP;
import static io.isolate.wasm.WasiNumbers.EPERM;
import static io.isolate.wasm.WasiNumbers.ESUCCESS;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.isolate.wasm.files.ConfinedFileSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The WASI file calls this layer answers itself, or corrects, where Chicory 1.7.5 answers differently from WASI
 * preview 1 as Wasmtime implements it (the cases of the public WASI test suite that Chicory alone fails):
 *
 * <ul>
 *   <li>{@code APPEND} is kept here, not in Chicory's file: Chicory cannot change it on an open file, opens an
 *       appending file without read access and refuses {@code O_APPEND|O_TRUNC} and {@code pwrite} on it. A write to
 *       an appending file first moves to the end of the file; {@code pwrite} writes at its offset, as POSIX says;
 *       {@code fd_fdstat_set_flags} switches {@code APPEND} (and {@code NONBLOCK}, which files ignore).
 *   <li>{@code path_link} of a symbolic link links the link, not its target (Jimfs only hard-links regular files,
 *       so the new name is a second symbolic link with the same target: a separate inode whose link count is 1);
 *       {@code SYMLINK_FOLLOW} is refused with {@code EINVAL}, as Wasmtime does.
 *   <li>{@code path_symlink} says {@code ENOENT}, {@code EEXIST} or {@code ENOTDIR} for a new name with a trailing
 *       slash, as Linux does, and {@code EEXIST} for a name held by a dangling symbolic link.
 *   <li>{@code path_filestat_set_times} without {@code SYMLINK_FOLLOW} changes a symbolic link itself.
 *   <li>{@code fd_fdstat_get} of a directory does not offer {@code path_filestat_set_size}, as Wasmtime does not:
 *       rights are not enforced (by Chicory or Wasmtime), and {@code fd_fdstat_set_rights} stays unsupported.
 * </ul>
 *
 * <p>Every guest path's address and length are checked before it is read, and one outside guest memory traps, as the
 * witx says of an out-of-bounds pointer; other guest memory is touched only where Chicory has just written its
 * answer, through Chicory's bounds-checked accessors. Chicory's own functions are called with a private scratch
 * memory when only their answer is needed, never with the guest's.
 */
final class WasiFileCalls {
  private final WasiPreview1 wasi;
  private final GuestDescriptors fds;
  private Memory scratch;

  WasiFileCalls(WasiPreview1 wasi, GuestDescriptors fds) {
    this.wasi = wasi;
    this.fds = fds;
  }

  /**
   * {@code path_open(fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags, fd_ptr)}: Chicory
   * opens the file without {@code APPEND}, which is recorded here.
   */
  long[] pathOpen(Instance instance, long[] args, WasmFunctionHandle chicory) {
    int dirFd = (int) args[0];
    int fdflags = (int) args[7];
    long[] passed = args.clone();
    passed[7] = fdflags & ~WasiNumbers.FDFLAGS_APPEND;
    long[] result = chicory.apply(instance, passed);
    if (result[0] != ESUCCESS) {
      return result;
    }
    int opened = instance.memory().readInt((int) args[8]); // Chicory has just written it there
    int type = fileType(opened);
    Path directory = null;
    if (type == WasiNumbers.FILETYPE_DIRECTORY) {
      directory = chicorysDirectoryPath(fds.directory(dirFd), guestString(instance, args[2], args[3]),
          ((int) args[1] & WasiNumbers.LOOKUP_SYMLINK_FOLLOW) != 0);
    }
    boolean file = type == WasiNumbers.FILETYPE_REGULAR_FILE;
    fds.opened(opened, new GuestDescriptors.Entry(fds.readOnly(dirFd), directory, file,
        file ? fdflags & (WasiNumbers.FDFLAGS_APPEND | WasiNumbers.FDFLAGS_NONBLOCK) : 0));
    return result;
  }

  /**
   * The path Chicory 1.7.5 keeps for a directory it opened: the lexically resolved path, and with
   * {@code SYMLINK_FOLLOW} the target of a final symbolic link as the link states it. Calls answered here must see
   * the same directory as the calls Chicory answers, so this follows Chicory's rule rather than a better one.
   */
  private static Path chicorysDirectoryPath(Path dir, String raw, boolean follow) {
    Path path = dir == null ? null : lexical(dir, raw);
    if (path == null) {
      return null;
    }
    try {
      for (int hops = 0; follow && Files.isSymbolicLink(path); hops++) {
        if (hops > 64) {
          return null; // Chicory answered ELOOP: nothing was opened
        }
        path = Files.readSymbolicLink(path);
      }
    } catch (IOException e) {
      return null;
    }
    return path;
  }

  /** {@code fd_write(fd, iovs, iovs_len, nwritten_ptr)}: an appending file's writes go to its end. */
  long[] fdWrite(Instance instance, long[] args, WasmFunctionHandle chicory) {
    if (fds.appends((int) args[0])) {
      // Chicory's fd_seek moves the file's position; its answer (the new offset) goes to scratch memory
      wasi.fdSeek(scratch(), (int) args[0], 0, WasiNumbers.WHENCE_END, 0);
    }
    return chicory.apply(instance, args);
  }

  /** {@code fd_fdstat_get(fd, buf)}: the flags kept here, and no path_filestat_set_size on directories. */
  long[] fdFdstatGet(Instance instance, long[] args, WasmFunctionHandle chicory) {
    long[] result = chicory.apply(instance, args);
    if (result[0] != ESUCCESS) {
      return result;
    }
    Memory memory = instance.memory();
    int buf = (int) args[1]; // Chicory has just written 24 bytes there: in bounds
    GuestDescriptors.Entry entry = fds.get((int) args[0]);
    if (entry != null && entry.file) {
      int flags = memory.readShort(buf + WasiNumbers.FDSTAT_FLAGS) & 0xffff;
      flags = (flags & ~(WasiNumbers.FDFLAGS_APPEND | WasiNumbers.FDFLAGS_NONBLOCK)) | entry.flags;
      memory.writeShort(buf + WasiNumbers.FDSTAT_FLAGS, (short) flags);
    } else if (memory.read(buf) == WasiNumbers.FILETYPE_DIRECTORY) {
      // Wasmtime does not offer truncation by path as a right of a directory (open with O_TRUNC works all the same):
      // a guest that drops rights to test them then skips what neither runtime enforces
      long base = memory.readLong(buf + WasiNumbers.FDSTAT_RIGHTS_BASE);
      memory.writeLong(buf + WasiNumbers.FDSTAT_RIGHTS_BASE, base & ~WasiNumbers.RIGHT_PATH_FILESTAT_SET_SIZE);
    }
    return result;
  }

  /** {@code fd_fdstat_set_flags(fd, flags)}. */
  long[] fdFdstatSetFlags(Instance instance, long[] args, WasmFunctionHandle chicory) {
    int fd = (int) args[0];
    int flags = (int) args[1];
    GuestDescriptors.Entry entry = fds.get(fd);
    if (entry == null || !entry.file) {
      return chicory.apply(instance, args); // directories, streams and bad descriptors: Chicory's answers
    }
    int changeable = WasiNumbers.FDFLAGS_APPEND | WasiNumbers.FDFLAGS_NONBLOCK;
    if ((flags & ~(changeable | WasiNumbers.FDFLAGS_DSYNC | WasiNumbers.FDFLAGS_RSYNC | WasiNumbers.FDFLAGS_SYNC))
        != 0) {
      return errno(EINVAL);
    }
    Memory memory = scratch();
    int status = wasi.fdFdstatGet(memory, fd, 0);
    if (status != ESUCCESS) {
      return errno(status);
    }
    // The sync flags are fixed when Java opens a file; asking for others is unsupported, not silently ignored.
    int opened = memory.readShort(WasiNumbers.FDSTAT_FLAGS) & 0xffff & ~changeable;
    if ((flags & ~changeable) != opened) {
      return errno(ENOTSUP);
    }
    fds.setFlags(entry, flags & changeable);
    return errno(ESUCCESS);
  }

  /** {@code path_link(old_fd, old_flags, old_path, old_path_len, new_fd, new_path, new_path_len)}. */
  long[] pathLink(Instance instance, long[] args, WasmFunctionHandle chicory) {
    Path oldDir = fds.directory((int) args[0]);
    Path newDir = fds.directory((int) args[4]);
    String oldRaw = guestString(instance, args[2], args[3]);
    String newRaw = guestString(instance, args[5], args[6]);
    Path oldPath = oldDir == null ? null : lexical(oldDir, oldRaw);
    Path newPath = newDir == null ? null : lexical(newDir, newRaw);
    if (oldPath == null || newPath == null) {
      return chicory.apply(instance, args); // not a directory, or a path leaving it: Chicory's answers
    }
    if (((int) args[1] & WasiNumbers.LOOKUP_SYMLINK_FOLLOW) != 0) {
      return errno(EINVAL); // linking what a symbolic link points to is refused by Wasmtime too
    }
    if (oldPath.getFileSystem() != newPath.getFileSystem()) {
      return errno(WasiNumbers.EXDEV); // two mounts are two file systems
    }
    try {
      if (existsNoFollow(newPath) || newRaw.endsWith("/") && Files.exists(newPath)) {
        return errno(EEXIST);
      }
      if (newRaw.endsWith("/")) {
        return errno(ENOENT); // a name with a trailing slash names a directory, and none is there
      }
      BasicFileAttributes old = Files.readAttributes(oldPath, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (old.isDirectory()) {
        return errno(EPERM); // as Linux answers a hard link to a directory
      }
      if (old.isSymbolicLink() && !ConfinedFileSystem.isConfined(oldPath)) {
        // in memory: Jimfs hard-links regular files only (a live mount's host links the link itself)
        Files.createSymbolicLink(newPath, Files.readSymbolicLink(oldPath));
      } else {
        Files.createLink(newPath, oldPath);
      }
      return errno(ESUCCESS);
    } catch (IOException e) {
      return errno(errnoOf(e));
    }
  }

  /** {@code path_symlink(old_path, old_path_len, fd, new_path, new_path_len)}: the new name is checked here. */
  long[] pathSymlink(Instance instance, long[] args, WasmFunctionHandle chicory) {
    Path dir = fds.directory((int) args[2]);
    String newRaw = guestString(instance, args[3], args[4]);
    Path newPath = dir == null ? null : lexical(dir, newRaw);
    if (newPath == null) {
      return chicory.apply(instance, args);
    }
    if (newRaw.endsWith("/")) {
      // a trailing slash asks for a directory: a symbolic link cannot be created under such a name
      if (Files.isDirectory(newPath)) {
        return errno(EEXIST);
      }
      return errno(existsNoFollow(newPath) ? ENOTDIR : ENOENT);
    }
    if (existsNoFollow(newPath)) {
      return errno(EEXIST); // a dangling symbolic link included, which Chicory does not see
    }
    if (ConfinedFileSystem.isConfined(newPath)) {
      // On a live mount the target is stored as written (Chicory would store it resolved against the descriptor's
      // directory), if it is relative and stays inside the mount.
      try {
        ConfinedFileSystem.createGuestSymlink(newPath, guestString(instance, args[0], args[1]));
        return errno(ESUCCESS);
      } catch (IOException e) {
        return errno(errnoOf(e));
      }
    }
    return chicory.apply(instance, args);
  }

  /**
   * {@code path_readlink(fd, path, path_len, buf, buf_len, bufused_ptr)} on a live mount: the target as stored
   * (Chicory answers only its last name), cut to {@code buf_len} bytes as readlink does.
   */
  long[] pathReadlink(Instance instance, long[] args, WasmFunctionHandle chicory) {
    Path dir = fds.directory((int) args[0]);
    Path path = dir == null ? null : lexical(dir, guestString(instance, args[1], args[2]));
    if (path == null || !ConfinedFileSystem.isConfined(path)) {
      return chicory.apply(instance, args);
    }
    String target;
    try {
      target = ConfinedFileSystem.readLinkText(path);
    } catch (NotLinkException e) {
      return errno(EINVAL);
    } catch (IOException e) {
      return errno(errnoOf(e));
    }
    byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
    long buf = args[3] & 0xffffffffL;
    long length = args[4] & 0xffffffffL;
    checkBounds(instance.memory(), buf, length, "a readlink buffer");
    int used = (int) Math.min(bytes.length, length);
    instance.memory().write((int) buf, bytes, 0, used);
    instance.memory().writeI32((int) args[5], used); // bounds-checked by Chicory: outside memory traps
    return errno(ESUCCESS);
  }

  /** {@code path_filestat_set_times(fd, flags, path, path_len, atim, mtim, fst_flags)}. */
  long[] pathFilestatSetTimes(Instance instance, long[] args, WasmFunctionHandle chicory) {
    Path dir = fds.directory((int) args[0]);
    Path path = dir == null ? null : lexical(dir, guestString(instance, args[2], args[3]));
    if (path == null) {
      return chicory.apply(instance, args);
    }
    boolean follow = ((int) args[1] & WasiNumbers.LOOKUP_SYMLINK_FOLLOW) != 0;
    int fstFlags = (int) args[6];
    if (both(fstFlags, WasiNumbers.FSTFLAGS_ATIM, WasiNumbers.FSTFLAGS_ATIM_NOW)
        || both(fstFlags, WasiNumbers.FSTFLAGS_MTIM, WasiNumbers.FSTFLAGS_MTIM_NOW)) {
      return errno(EINVAL);
    }
    FileTime access = time(fstFlags, WasiNumbers.FSTFLAGS_ATIM, WasiNumbers.FSTFLAGS_ATIM_NOW, args[4]);
    FileTime modified = time(fstFlags, WasiNumbers.FSTFLAGS_MTIM, WasiNumbers.FSTFLAGS_MTIM_NOW, args[5]);
    LinkOption[] options = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    try {
      Files.getFileAttributeView(path, BasicFileAttributeView.class, options).setTimes(modified, access, null);
      return errno(ESUCCESS);
    } catch (IOException e) {
      return errno(errnoOf(e));
    }
  }

  private static boolean both(int flags, int a, int b) {
    return (flags & a) != 0 && (flags & b) != 0;
  }

  /** The time to set, or null to leave it: WASI timestamps are nanoseconds since the epoch, unsigned. */
  private static FileTime time(int flags, int set, int now, long nanos) {
    if ((flags & set) != 0) {
      return nanos >= 0 ? FileTime.from(nanos, TimeUnit.NANOSECONDS)
          : FileTime.from(Instant.ofEpochSecond(Long.divideUnsigned(nanos, 1_000_000_000L),
              Long.remainderUnsigned(nanos, 1_000_000_000L)));
    }
    return (flags & now) != 0 ? FileTime.from(Instant.now()) : null;
  }

  private int fileType(int fd) {
    Memory memory = scratch();
    return wasi.fdFdstatGet(memory, fd, 0) == ESUCCESS ? memory.read(0) : WasiNumbers.FILETYPE_UNKNOWN;
  }

  /** A page of memory of its own for Chicory's answers that the guest does not ask for. */
  private Memory scratch() {
    if (scratch == null) {
      scratch = new ByteArrayMemory(new MemoryLimits(1, 1));
    }
    return scratch;
  }

  /**
   * Chicory's rule for a guest path relative to a directory: normalized, and neither absolute nor leading out of
   * the directory (null then; Chicory answers such paths itself).
   */
  static Path lexical(Path dir, String raw) {
    Path path;
    try {
      path = dir.getFileSystem().getPath(raw);
    } catch (InvalidPathException e) {
      return null;
    }
    if (path.isAbsolute()) {
      return null;
    }
    String normalized = path.normalize().toString();
    if (normalized.equals("..") || normalized.startsWith("../")) {
      return null;
    }
    return dir.resolve(normalized);
  }

  private static boolean existsNoFollow(Path path) {
    return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
  }

  private static int errnoOf(IOException e) {
    if (e instanceof java.nio.file.FileSystemException f) {
      int errno = WasiNumbers.errnoOfReason(f.getReason());
      if (errno >= 0) {
        return errno;
      }
    }
    if (e instanceof NoSuchFileException) {
      return ENOENT;
    }
    if (e instanceof FileAlreadyExistsException) {
      return EEXIST;
    }
    if (e instanceof NotDirectoryException) {
      return ENOTDIR;
    }
    if (e instanceof FileSystemLoopException) {
      return ELOOP;
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return EACCES;
    }
    return EIO;
  }

  private static long[] errno(int errno) {
    return new long[] {errno};
  }

  /**
   * The UTF-8 string of {@code length} bytes at {@code address} in guest memory. Both are u32 values; a string
   * outside the memory traps, as the witx says of an out-of-bounds pointer.
   */
  static String guestString(Instance instance, long address, long length) {
    Memory memory = instance.memory();
    long addr = address & 0xffffffffL;
    long len = length & 0xffffffffL;
    checkBounds(memory, addr, len, "a WASI path");
    return new String(memory.readBytes((int) addr, (int) len), StandardCharsets.UTF_8);
  }

  /** Traps unless {@code length} bytes at {@code address} (both u32) lie inside guest memory. */
  private static void checkBounds(Memory memory, long address, long length, String what) {
    long size = memory == null ? 0 : (long) memory.pages() * Memory.PAGE_SIZE;
    if (address > size || length > size - address) {
      throw new WasmRuntimeException("out of bounds memory access: " + what + " of " + length + " bytes at "
          + address + " lies outside guest memory (" + size + " bytes)");
    }
  }
}
