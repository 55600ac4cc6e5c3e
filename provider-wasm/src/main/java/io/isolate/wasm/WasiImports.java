package io.isolate.wasm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasi.WasiPreview1;
import io.isolate.wasm.files.ConfinedFileSystem;
import io.isolate.wasm.files.HostFailures;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Chicory's WASI preview 1 functions with three additions: read-only preopens are enforced (see
 * {@link GuestFileSystem}), the file calls where Chicory departs from WASI as Wasmtime implements it are answered or
 * corrected by {@link WasiFileCalls}, and calls Chicory does not implement fail with {@code ENOSYS} and are counted
 * for {@link io.isolate.ExitResult#unsupportedCalls()} instead of crashing the guest.
 *
 * <p>Read-only is tracked per file descriptor ({@link GuestDescriptors}): a descriptor opened through a read-only
 * one is read-only. A guest without preopens cannot open a file, so it gets Chicory's file functions unwrapped.
 */
final class WasiImports {
  static final String MODULE = "wasi_snapshot_preview1";

  private static final String UNSUPPORTED = "We don't yet support this WASI call";

  /**
   * The functions Chicory 1.7.5 answers with "We don't yet support this WASI call". Only these, the file functions
   * when a read-only preopen exists and the file functions {@link WasiFileCalls} answers when any preopen exists
   * are wrapped: {@code fd_read} stays Chicory's own, and {@code fd_write} does too for a guest without preopens.
   */
  private static final Set<String> UNSUPPORTED_BY_CHICORY = Set.of("adapter_close_badfd", "adapter_open_badfd",
      "proc_raise", "sock_accept", "sock_recv", "sock_send", "sock_shutdown");
  private static final Set<String> READ_ONLY_GUARDED = Set.of("path_open", "path_create_directory",
      "path_remove_directory", "path_unlink_file", "path_filestat_set_times", "fd_filestat_set_times",
      "fd_filestat_set_size", "fd_allocate", "path_symlink", "path_rename", "path_link", "fd_renumber", "fd_close");
  private static final Set<String> ANSWERED_FOR_FILES = Set.of("path_open", "fd_write", "fd_fdstat_set_flags",
      "path_link", "path_symlink", "path_readlink", "path_filestat_set_times", "fd_renumber", "fd_close");
  /**
   * The calls that act on a host file when a mount is live: Chicory answers most of their failures with {@code EIO},
   * which is replaced by the errno of the host's reason ({@link HostFailures}), so that a full disk is
   * {@code ENOSPC} at the write that filled it.
   */
  private static final Set<String> HOST_FILE_CALLS = Set.of("fd_write", "fd_pwrite", "fd_read", "fd_pread",
      "fd_allocate", "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_sync", "fd_datasync",
      "fd_readdir", "path_open", "path_create_directory", "path_remove_directory", "path_unlink_file", "path_rename",
      "path_link", "path_symlink", "path_readlink", "path_filestat_get", "path_filestat_set_times");

  private final GuestDescriptors fds;
  private final Map<String, Long> unsupported = new TreeMap<>();
  private final boolean anyReadOnly;
  private final boolean anyPreopen;
  private final boolean anyLive;

  WasiImports(List<GuestFileSystem.Preopen> preopens) {
    this.fds = new GuestDescriptors(preopens);
    this.anyReadOnly = preopens.stream().anyMatch(p -> p.readOnly);
    this.anyPreopen = !preopens.isEmpty();
    this.anyLive = preopens.stream().anyMatch(p -> ConfinedFileSystem.isConfined(p.root));
  }

  /** Chicory's functions of {@code wasi}, some of them wrapped. */
  HostFunction[] functions(WasiPreview1 wasi) {
    WasiFileCalls files = new WasiFileCalls(wasi, fds);
    HostFunction[] functions = wasi.toHostFunctions();
    for (int i = 0; i < functions.length; i++) {
      HostFunction f = functions[i];
      if (UNSUPPORTED_BY_CHICORY.contains(f.name()) || (anyReadOnly && READ_ONLY_GUARDED.contains(f.name()))
          || (anyPreopen && ANSWERED_FOR_FILES.contains(f.name())) || (anyLive && HOST_FILE_CALLS.contains(f.name()))
          || f.name().equals("fd_fdstat_get")) {
        functions[i] = new HostFunction(f.module(), f.name(), f.functionType(), wrap(f.name(), f.handle(), files));
      }
    }
    return functions;
  }

  /** The WASI calls the guest made that Chicory does not implement, with their counts. */
  synchronized Map<String, Long> unsupportedCalls() {
    return Map.copyOf(unsupported);
  }

  private WasmFunctionHandle wrap(String name, WasmFunctionHandle chicory, WasiFileCalls files) {
    WasmFunctionHandle handle = anyLive && HOST_FILE_CALLS.contains(name) ? hostErrno(chicory) : chicory;
    WasmFunctionHandle counted = (instance, args) -> {
      try {
        return handle.apply(instance, args);
      } catch (WasmRuntimeException e) {
        if (e.getMessage() != null && e.getMessage().startsWith(UNSUPPORTED)) {
          synchronized (this) {
            unsupported.merge(name, 1L, Long::sum);
          }
          return new long[] {WasiNumbers.ENOSYS};
        }
        throw e;
      }
    };
    return switch (name) {
      case "path_open" -> (instance, args) -> {
        long oflags = args[4];
        long rights = args[5];
        long fdflags = args[7];
        boolean writes = (oflags & (WasiNumbers.OFLAGS_CREAT | WasiNumbers.OFLAGS_TRUNC)) != 0
            || (fdflags & WasiNumbers.FDFLAGS_APPEND) != 0 || (rights & (WasiNumbers.RIGHT_FD_WRITE
                | WasiNumbers.RIGHT_FD_ALLOCATE | WasiNumbers.RIGHT_FD_FILESTAT_SET_SIZE)) != 0;
        if (writes && fds.readOnly((int) args[0])) {
          return new long[] {WasiNumbers.EROFS};
        }
        return files.pathOpen(instance, args, counted);
      };
      case "path_create_directory", "path_remove_directory", "path_unlink_file", "fd_filestat_set_times",
          "fd_filestat_set_size", "fd_allocate" -> guarded(counted, 0);
      case "path_filestat_set_times" -> guarded((instance, args) -> files.pathFilestatSetTimes(instance, args,
          counted), 0);
      case "path_symlink" -> guarded((instance, args) -> files.pathSymlink(instance, args, counted), 2);
      case "path_rename" -> guarded(counted, 0, 3);
      case "path_link" -> guarded((instance, args) -> files.pathLink(instance, args, counted), 0, 4);
      case "path_readlink" -> (instance, args) -> files.pathReadlink(instance, args, counted);
      case "fd_write" -> (instance, args) -> files.fdWrite(instance, args, counted);
      case "fd_fdstat_set_flags" -> (instance, args) -> files.fdFdstatSetFlags(instance, args, counted);
      case "fd_renumber" -> (instance, args) -> {
        long[] result = counted.apply(instance, args);
        if (result[0] == WasiNumbers.ESUCCESS) {
          fds.renumbered((int) args[0], (int) args[1]);
        }
        return result;
      };
      case "fd_fdstat_get" -> (instance, args) -> {
        long[] result = files.fdFdstatGet(instance, args, counted);
        // Chicory calls the standard streams character devices, which C's isatty() takes for a terminal; an
        // isolate's stdio is captured, a stream or a pipe, never a terminal (a program such as SQLite's shell
        // would turn interactive): their filetype is "unknown", as a runtime says of a pipe
        if (result[0] == WasiNumbers.ESUCCESS && args[0] >= 0 && args[0] <= 2
            && instance.memory().read((int) args[1]) == WasiNumbers.FILETYPE_CHARACTER_DEVICE) {
          instance.memory().writeByte((int) args[1], (byte) WasiNumbers.FILETYPE_UNKNOWN);
        }
        return result;
      };
      case "fd_close" -> (instance, args) -> {
        long[] result = counted.apply(instance, args);
        if (result[0] == WasiNumbers.ESUCCESS) {
          fds.closed((int) args[0]);
        }
        return result;
      };
      default -> counted;
    };
  }

  /** {@code handle} with an {@code EIO} answer replaced by the errno of the host's reason, where one was recorded. */
  private static WasmFunctionHandle hostErrno(WasmFunctionHandle handle) {
    return (instance, args) -> {
      if (args[0] >= 0 && args[0] <= 2) {
        return handle.apply(instance, args); // stdio is no host file: its reads and writes pay nothing here
      }
      HostFailures.clear();
      long[] result = handle.apply(instance, args);
      String reason = HostFailures.take();
      if (result[0] == WasiNumbers.EIO) {
        int errno = WasiNumbers.errnoOfReason(reason);
        if (errno >= 0) {
          return new long[] {errno};
        }
      }
      return result;
    };
  }

  private WasmFunctionHandle guarded(WasmFunctionHandle handle, int... fdArgs) {
    return (Instance instance, long... args) -> {
      for (int i : fdArgs) {
        if (fds.readOnly((int) args[i])) {
          return new long[] {WasiNumbers.EROFS};
        }
      }
      return handle.apply(instance, args);
    };
  }
}
