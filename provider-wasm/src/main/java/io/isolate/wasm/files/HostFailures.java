package io.isolate.wasm.files;

import java.io.IOException;
import java.nio.file.FileSystemException;

/**
 * The reason of the last host failure on this thread inside a {@link ConfinedFileSystem}. Chicory answers most
 * {@link IOException}s of a file call with {@code EIO}; a guest whose write fills the disk must be told
 * {@code ENOSPC} at that write. So every operation of the file system, and every write of a channel it opened, records
 * the host's reason (the operating system's own words, as the JDK reports them) on the guest's thread before it
 * throws, and the WASI layer turns that reason into the errno once Chicory has answered.
 */
public final class HostFailures {
  private static final ThreadLocal<String> LAST = new ThreadLocal<>();

  private HostFailures() {}

  /** Forgets what was recorded: called before each file call. */
  public static void clear() {
    LAST.remove();
  }

  /** The reason recorded since {@link #clear()}, or null; forgotten once taken. */
  public static String take() {
    String reason = LAST.get();
    LAST.remove();
    return reason;
  }

  static <E extends IOException> E record(E e) {
    String reason = e instanceof FileSystemException f ? f.getReason() : e.getMessage();
    LAST.set(reason == null ? "" : reason);
    return e;
  }
}
