package io.isolate.container.image;

import io.isolate.container.helper.HelperBinary;
import io.isolate.spi.DaemonThreads;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Writes one layer's files through the helper's {@code --unpack DIR} mode (unpack.c), which carries out the
 * operations in a user and mount namespace of its own whose root is {@code DIR}. Whatever a path names, a
 * symbolic link planted by an earlier entry included, it resolves inside the layer directory: nothing this class is
 * asked to do can reach a host file. {@link LayerUnpacker} decides what to write; this class only sends it.
 *
 * <p>A failure of the helper (a refused operation, a full disk) surfaces as an {@link IOException} carrying the
 * helper's message, at the operation that found the pipe closed or at {@link #finish()}.
 */
final class LayerWriter implements Closeable {
  /** The longest path or link target the helper accepts, in bytes. */
  static final int MAX_PATH_BYTES = 4095;

  private final Process process;
  private final DataOutputStream out;
  private final byte[] buffer = new byte[1 << 16];
  private boolean finished;

  private LayerWriter(Process process) {
    this.process = process;
    this.out = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
  }

  /**
   * Starts the helper confined to {@code dir}, an empty directory that the caller owns. At {@code deadlineNanos}
   * ({@link System#nanoTime()}) the helper is killed wherever it is: a hostile layer can make one operation slow
   * (removing a huge directory it built), and the Java side's time checks run only between operations.
   */
  static LayerWriter start(Path dir, long deadlineNanos) throws IOException {
    return start(java.util.List.of(HelperBinary.path().toString(), "--unpack", dir.toString()), deadlineNanos);
  }

  /** Runs {@code command}, a helper in {@code --unpack} mode (tests run it as another user). */
  static LayerWriter start(java.util.List<String> command, long deadlineNanos) throws IOException {
    Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    LayerWriter w = new LayerWriter(p);
    long delay = deadlineNanos - System.nanoTime();
    w.deadlineKill = DEADLINES.schedule(() -> {
      w.timedOut = true;
      p.destroyForcibly();
    }, Math.max(0, delay), TimeUnit.NANOSECONDS);
    return w;
  }

  /** Kills helpers that outlive their deadline; one daemon thread for the JVM, idle when nothing unpacks. */
  private static final java.util.concurrent.ScheduledExecutorService DEADLINES =
      DaemonThreads.scheduler("isolate-unpack-deadline");

  private java.util.concurrent.ScheduledFuture<?> deadlineKill;
  private volatile boolean timedOut;

  void directory(String path, int mode) throws IOException {
    op('D', path);
    send(() -> out.writeInt(mode));
  }

  /**
   * A regular file of exactly {@code size} bytes read from {@code content}; fewer bytes there is an error.
   * {@code progress} runs after every 64 KiB, and may stop the copy by throwing.
   */
  void file(String path, int mode, long size, InputStream content, Write progress) throws IOException {
    op('F', path);
    send(() -> {
      out.writeInt(mode);
      out.writeLong(size);
    });
    long left = size;
    while (left > 0) {
      int n = content.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("the layer ends inside " + path + " (" + (size - left) + " of " + size + " bytes)");
      }
      int count = n;
      send(() -> out.write(buffer, 0, count));
      left -= n;
      progress.run();
    }
  }

  void symlink(String path, String target) throws IOException {
    op('S', path);
    send(() -> writePath(target));
  }

  void hardLink(String path, String existing) throws IOException {
    op('H', path);
    send(() -> writePath(existing));
  }

  /** An overlayfs whiteout: a character device 0/0. */
  void whiteout(String path) throws IOException {
    op('W', path);
  }

  /** Marks the directory opaque for overlayfs (its lower layers' content is hidden). */
  void opaque(String path) throws IOException {
    op('O', path);
  }

  void chmodDirectory(String path, int mode) throws IOException {
    op('M', path);
    send(() -> out.writeInt(mode));
  }

  /** Removes {@code path} and, for a directory, everything under it; links are removed, never followed. */
  void remove(String path) throws IOException {
    op('R', path);
  }

  /** Ends the stream and waits for the helper; throws with its message when anything failed. */
  void finish() throws IOException {
    send(() -> {
      out.writeByte('E');
      out.writeInt(0);
      out.flush();
      out.close();
    });
    finished = true;
    int code = waitFor();
    deadlineKill.cancel(false);
    if (code != 0 || timedOut) {
      throw failure(null);
    }
  }

  /** Stops the helper if {@link #finish()} did not run to its end; the caller discards the directory. */
  @Override
  public void close() {
    deadlineKill.cancel(false);
    if (!finished) {
      process.destroyForcibly();
      waitFor();
    }
    try {
      process.getErrorStream().close();
      process.getOutputStream().close();
    } catch (IOException e) {
      // the helper is gone; nothing is left to release
    }
  }

  private void op(char kind, String path) throws IOException {
    send(() -> {
      out.writeByte(kind);
      writePath(path);
    });
  }

  private void writePath(String path) throws IOException {
    byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_PATH_BYTES) {
      throw new LayerException("a path or link target of " + bytes.length + " bytes (at most " + MAX_PATH_BYTES
          + "): " + path.substring(0, 64) + "...");
    }
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  /** A step that may fail with an {@link IOException}. */
  interface Write {
    void run() throws IOException;
  }

  /** Runs a write; a broken pipe means the helper refused something and exited: its message is the error. */
  private void send(Write write) throws IOException {
    try {
      write.run();
    } catch (LayerException e) {
      throw e;
    } catch (IOException e) {
      process.destroyForcibly();
      waitFor();
      throw failure(e);
    }
  }

  private IOException failure(IOException cause) {
    if (timedOut) {
      IOException e = new IOException("preparing the image took longer than -D"
          + io.isolate.container.ContainerSettings.IMAGE_PREPARE_SECONDS + " allows (the unpacking helper was "
          + "stopped in the middle of an entry)");
      if (cause != null) {
        e.addSuppressed(cause);
      }
      return e;
    }
    String message;
    try {
      message = new String(process.getErrorStream().readNBytes(4096), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      message = "";
    }
    if (message.isEmpty()) {
      message = "the unpacking helper ended with status " + process.exitValue();
    }
    IOException e = new IOException(message.replaceFirst("^isolate-helper: ", ""));
    if (cause != null) {
      e.addSuppressed(cause);
    }
    return e;
  }

  private int waitFor() {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          if (process.waitFor(60, TimeUnit.SECONDS)) {
            return process.exitValue();
          }
          process.destroyForcibly();
        } catch (InterruptedException e) {
          interrupted = true; // the helper is ending; its exit is only moments away
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A refusal decided on the Java side (not the helper's): passed through as it is. */
  static final class LayerException extends IOException {
    LayerException(String message) {
      super(message);
    }
  }
}
