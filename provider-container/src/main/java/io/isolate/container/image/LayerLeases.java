package io.isolate.container.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which cached layers are in use, so that trimming the cache never removes a layer under a running isolate: in this
 * JVM by counting the isolates that use each layer, across JVMs by a shared lock on the layer's lock file
 * ({@code layers/<name>.lock}) that this JVM holds while any of its isolates uses the layer. A trimmer takes the
 * exclusive lock, which it gets only when no JVM holds the shared one. (Java's file locks are per process, hence
 * the counting; and they are POSIX record locks, which any close of any descriptor of the file drops, so nothing
 * here opens a lock file a second time while its lock is held.) Leasing also stamps the layer's
 * {@code <name>.used} file, the cache's record of last use.
 *
 * <p>One instance per cache directory in a JVM ({@code ImageStore.shared()}): two would lock the same files twice.
 */
final class LayerLeases {
  private static final class Held {
    final FileChannel channel;
    final FileLock lock;
    int count;

    Held(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }
  }

  private final Map<Path, Held> held = new HashMap<>();

  /** The lock file of a layer directory. */
  static Path lockFile(Path layerDir) {
    return layerDir.resolveSibling(layerDir.getFileName() + ".lock");
  }

  /** The file whose modification time records a layer's last use (not the lock file: see above). */
  static Path usedFile(Path layerDir) {
    return layerDir.resolveSibling(layerDir.getFileName() + ".used");
  }

  /** Records that {@code layerDir} is used now (prepared or leased); the trim spares recently used layers. */
  static void markUsed(Path layerDir) throws IOException {
    Path used = usedFile(layerDir);
    try {
      Files.setLastModifiedTime(used, FileTime.fromMillis(System.currentTimeMillis()));
    } catch (java.nio.file.NoSuchFileException e) {
      Files.write(used, new byte[0]);
    }
  }

  /** Leases {@code layerDirs} until the returned lease is closed. */
  synchronized Lease acquire(List<Path> layerDirs) throws IOException {
    List<Path> taken = new ArrayList<>();
    try {
      for (Path dir : layerDirs) {
        Held h = held.get(dir);
        if (h == null) {
          Path file = lockFile(dir);
          FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
              StandardOpenOption.WRITE);
          try {
            h = new Held(channel, channel.lock(0, Long.MAX_VALUE, true));
          } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
          }
          held.put(dir, h);
        }
        h.count++;
        taken.add(dir);
        markUsed(dir);
      }
    } catch (IOException | RuntimeException e) {
      release(taken);
      throw e;
    }
    return new Lease(List.copyOf(taken));
  }

  /** Moves a layer directory out of the cache. */
  interface Removal {
    void run() throws IOException;
  }

  /**
   * Runs {@code removal} if no isolate of any JVM uses {@code layerDir}: not this one (counted), not another (the
   * exclusive lock is free). Leasing waits meanwhile, so no lease can begin on a layer being removed. The lock file
   * stays: deleting it could let a JVM that opened it keep a lease that no later trimmer sees.
   *
   * @return whether it ran
   */
  synchronized boolean removeIfUnused(Path layerDir, Removal removal) throws IOException {
    if (held.containsKey(layerDir)) {
      return false;
    }
    try (FileChannel channel = FileChannel.open(lockFile(layerDir), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock exclusive = channel.tryLock();
      if (exclusive == null) {
        return false; // another JVM's isolate uses it
      }
      removal.run();
      return true; // closing the channel releases the lock
    }
  }

  private synchronized void release(List<Path> dirs) {
    for (Path dir : dirs) {
      Held h = held.get(dir);
      if (h != null && --h.count == 0) {
        held.remove(dir);
        try {
          h.channel.close(); // releases the lock
        } catch (IOException ignored) {
          // closing releases the lock either way
        }
      }
    }
  }

  /** The layers one isolate uses; closing it (idempotent) lets them be trimmed again. */
  final class Lease implements AutoCloseable {
    private final List<Path> dirs;
    private boolean closed;

    private Lease(List<Path> dirs) {
      this.dirs = dirs;
    }

    @Override
    public void close() {
      synchronized (LayerLeases.this) {
        if (closed) {
          return;
        }
        closed = true;
        release(dirs);
      }
    }
  }
}
