package io.isolate.wasm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasi.WasiPreview1;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Chicory's WASI preview 1 functions with two additions: read-only preopens are enforced (see
 * {@link GuestFileSystem}), and calls Chicory does not implement fail with {@code ENOSYS} and are counted for
 * {@link io.isolate.ExitResult#unsupportedCalls()} instead of crashing the guest.
 *
 * <p>Read-only is tracked per file descriptor: the preopens get descriptors 3, 4, ... in the order Chicory
 * allocates them, a descriptor opened through a read-only one is read-only, and {@code fd_renumber} and
 * {@code fd_close} keep the table in step. All of this runs on the guest's one thread.
 */
final class WasiImports {
  static final String MODULE = "wasi_snapshot_preview1";

  // WASI preview 1 numbers (wasi_snapshot_preview1 witx).
  private static final int ESUCCESS = 0;
  private static final int FILETYPE_UNKNOWN = 0;
  private static final int FILETYPE_CHARACTER_DEVICE = 2;
  private static final int ENOSYS = 52;
  private static final int EROFS = 69;
  private static final int OFLAGS_CREAT = 1;
  private static final int OFLAGS_TRUNC = 8;
  private static final int FDFLAGS_APPEND = 1;
  private static final long RIGHT_FD_WRITE = 1L << 6;
  private static final long RIGHT_FD_ALLOCATE = 1L << 8;
  private static final long RIGHT_FD_FILESTAT_SET_SIZE = 1L << 22;
  private static final String UNSUPPORTED = "We don't yet support this WASI call";

  /**
   * The functions Chicory 1.7.5 answers with "We don't yet support this WASI call". Only these, and the file
   * functions when a read-only preopen exists, are wrapped: the hot ones ({@code fd_write}, {@code fd_read})
   * stay Chicory's own.
   */
  private static final Set<String> UNSUPPORTED_BY_CHICORY = Set.of("adapter_close_badfd", "adapter_open_badfd",
      "proc_raise", "sock_accept", "sock_recv", "sock_send", "sock_shutdown");
  private static final Set<String> READ_ONLY_GUARDED = Set.of("path_open", "path_create_directory",
      "path_remove_directory", "path_unlink_file", "path_filestat_set_times", "fd_filestat_set_times",
      "fd_filestat_set_size", "fd_allocate", "path_symlink", "path_rename", "path_link", "fd_renumber", "fd_close");

  private final Map<Integer, Boolean> readOnlyFds = new HashMap<>();
  private final Map<String, Long> unsupported = new TreeMap<>();
  private final boolean anyReadOnly;

  WasiImports(List<GuestFileSystem.Preopen> preopens) {
    boolean ro = false;
    for (int i = 0; i < preopens.size(); i++) {
      readOnlyFds.put(3 + i, preopens.get(i).readOnly);
      ro |= preopens.get(i).readOnly;
    }
    this.anyReadOnly = ro;
  }

  /** Chicory's functions of {@code wasi}, some of them wrapped. */
  HostFunction[] functions(WasiPreview1 wasi) {
    HostFunction[] functions = wasi.toHostFunctions();
    for (int i = 0; i < functions.length; i++) {
      HostFunction f = functions[i];
      if (UNSUPPORTED_BY_CHICORY.contains(f.name()) || (anyReadOnly && READ_ONLY_GUARDED.contains(f.name()))
          || f.name().equals("fd_fdstat_get")) {
        functions[i] = new HostFunction(f.module(), f.name(), f.functionType(), wrap(f.name(), f.handle()));
      }
    }
    return functions;
  }

  /** The WASI calls the guest made that Chicory does not implement, with their counts. */
  synchronized Map<String, Long> unsupportedCalls() {
    return Map.copyOf(unsupported);
  }

  private WasmFunctionHandle wrap(String name, WasmFunctionHandle handle) {
    WasmFunctionHandle counted = (instance, args) -> {
      try {
        return handle.apply(instance, args);
      } catch (WasmRuntimeException e) {
        if (e.getMessage() != null && e.getMessage().startsWith(UNSUPPORTED)) {
          synchronized (this) {
            unsupported.merge(name, 1L, Long::sum);
          }
          return new long[] {ENOSYS};
        }
        throw e;
      }
    };
    return switch (name) {
      case "path_open" -> (instance, args) -> {
        int dirFd = (int) args[0];
        long oflags = args[4];
        long rights = args[5];
        long fdflags = args[7];
        boolean writes = (oflags & (OFLAGS_CREAT | OFLAGS_TRUNC)) != 0 || (fdflags & FDFLAGS_APPEND) != 0
            || (rights & (RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE)) != 0;
        if (writes && readOnly(dirFd)) {
          return new long[] {EROFS};
        }
        long[] result = counted.apply(instance, args);
        if (result[0] == ESUCCESS) {
          int opened = instance.memory().readInt((int) args[8]);
          readOnlyFds.put(opened, readOnly(dirFd));
        }
        return result;
      };
      case "path_create_directory", "path_remove_directory", "path_unlink_file", "path_filestat_set_times",
          "fd_filestat_set_times", "fd_filestat_set_size", "fd_allocate" -> guarded(counted, 0);
      case "path_symlink" -> guarded(counted, 2);
      case "path_rename" -> guarded(counted, 0, 3);
      case "path_link" -> guarded(counted, 0, 4);
      case "fd_renumber" -> (instance, args) -> {
        long[] result = counted.apply(instance, args);
        if (result[0] == ESUCCESS) {
          Boolean ro = readOnlyFds.remove((int) args[0]);
          readOnlyFds.put((int) args[1], ro != null && ro);
        }
        return result;
      };
      case "fd_fdstat_get" -> (instance, args) -> {
        // Chicory calls the standard streams character devices, which C's isatty() takes for a terminal; an
        // isolate's stdio is captured, a stream or a pipe, never a terminal (a program such as SQLite's shell
        // would turn interactive): their filetype is "unknown", as a runtime says of a pipe
        long[] result = counted.apply(instance, args);
        if (result[0] == ESUCCESS && args[0] >= 0 && args[0] <= 2
            && instance.memory().read((int) args[1]) == FILETYPE_CHARACTER_DEVICE) {
          instance.memory().writeByte((int) args[1], (byte) FILETYPE_UNKNOWN);
        }
        return result;
      };
      case "fd_close" -> (instance, args) -> {
        long[] result = counted.apply(instance, args);
        if (result[0] == ESUCCESS) {
          readOnlyFds.remove((int) args[0]);
        }
        return result;
      };
      default -> counted;
    };
  }

  private WasmFunctionHandle guarded(WasmFunctionHandle handle, int... fdArgs) {
    return (Instance instance, long... args) -> {
      for (int i : fdArgs) {
        if (readOnly((int) args[i])) {
          return new long[] {EROFS};
        }
      }
      return handle.apply(instance, args);
    };
  }

  private boolean readOnly(int fd) {
    return Boolean.TRUE.equals(readOnlyFds.get(fd));
  }
}
