package io.isolate.wasm;

/**
 * The WASI preview 1 numbers this package answers with or reads (wasi_snapshot_preview1 witx): Chicory keeps its own
 * copies package-private.
 */
final class WasiNumbers {
  static final int ESUCCESS = 0;
  static final int EACCES = 2;
  static final int EBADF = 8;
  static final int EDQUOT = 19;
  static final int EEXIST = 20;
  static final int EFBIG = 22;
  static final int EINVAL = 28;
  static final int EIO = 29;
  static final int EISDIR = 31;
  static final int ELOOP = 32;
  static final int EMFILE = 33;
  static final int EMLINK = 34;
  static final int ENAMETOOLONG = 37;
  static final int ENOENT = 44;
  static final int ENOSPC = 51;
  static final int ENOSYS = 52;
  static final int ENOTDIR = 54;
  static final int ENOTEMPTY = 55;
  static final int ENOTSUP = 58;
  static final int EPERM = 63;
  static final int EROFS = 69;
  static final int EXDEV = 75;

  /**
   * The errno of a host failure the JDK reports in the operating system's words (strerror's text, as
   * {@link java.nio.file.FileSystemException#getReason()} carries it), or -1 when the words are not known here.
   */
  static int errnoOfReason(String reason) {
    if (reason == null) {
      return -1;
    }
    return switch (reason) {
      case "No space left on device" -> ENOSPC;
      case "Disk quota exceeded" -> EDQUOT;
      case "File too large" -> EFBIG;
      case "Read-only file system" -> EROFS;
      case "Too many levels of symbolic links" -> ELOOP;
      case "Is a directory" -> EISDIR;
      case "Not a directory" -> ENOTDIR;
      case "Operation not permitted" -> EPERM;
      case "Permission denied" -> EACCES;
      case "Invalid cross-device link" -> EXDEV;
      case "Directory not empty" -> ENOTEMPTY;
      case "File name too long" -> ENAMETOOLONG;
      case "Too many links" -> EMLINK;
      case "Too many open files" -> EMFILE;
      case "Invalid argument" -> EINVAL;
      default -> -1;
    };
  }

  static final int FILETYPE_UNKNOWN = 0;
  static final int FILETYPE_CHARACTER_DEVICE = 2;
  static final int FILETYPE_DIRECTORY = 3;
  static final int FILETYPE_REGULAR_FILE = 4;

  static final int FDFLAGS_APPEND = 1;
  static final int FDFLAGS_DSYNC = 1 << 1;
  static final int FDFLAGS_NONBLOCK = 1 << 2;
  static final int FDFLAGS_RSYNC = 1 << 3;
  static final int FDFLAGS_SYNC = 1 << 4;

  static final int OFLAGS_CREAT = 1;
  static final int OFLAGS_DIRECTORY = 1 << 1;
  static final int OFLAGS_TRUNC = 1 << 3;

  static final int LOOKUP_SYMLINK_FOLLOW = 1;

  static final int FSTFLAGS_ATIM = 1;
  static final int FSTFLAGS_ATIM_NOW = 1 << 1;
  static final int FSTFLAGS_MTIM = 1 << 2;
  static final int FSTFLAGS_MTIM_NOW = 1 << 3;

  static final int WHENCE_END = 2;

  static final long RIGHT_FD_WRITE = 1L << 6;
  static final long RIGHT_FD_ALLOCATE = 1L << 8;
  static final long RIGHT_PATH_FILESTAT_SET_SIZE = 1L << 19;
  static final long RIGHT_FD_FILESTAT_SET_SIZE = 1L << 22;

  /** {@code fdstat}: filetype u8 at 0, fs_flags u16 at 2, fs_rights_base u64 at 8, fs_rights_inheriting at 16. */
  static final int FDSTAT_FLAGS = 2;
  static final int FDSTAT_RIGHTS_BASE = 8;
  static final int FDSTAT_SIZE = 24;

  private WasiNumbers() {}
}
