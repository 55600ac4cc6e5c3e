package io.isolate.container.cgroup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Kill, wait and remove, the same on both hierarchies. */
abstract class AbstractCgroup implements Cgroup {
  private static final long REMOVE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

  final CgroupFiles files;
  private volatile boolean closed;

  AbstractCgroup(CgroupFiles files) {
    this.files = files;
  }

  /** The file listing every process of the isolate. */
  abstract Path mainProcsFile();

  @Override
  public void killAll() {
    for (int round = 0; round < 100; round++) {
      List<Long> pids = files.pids(mainProcsFile());
      if (pids.isEmpty()) {
        return;
      }
      pids.forEach(CgroupFiles::kill);
    }
  }

  @Override
  public boolean isEmpty() {
    return files.pids(mainProcsFile()).isEmpty();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    long deadline = System.nanoTime() + REMOVE_TIMEOUT_NANOS;
    List<Path> dirs = directories();
    for (Path dir : dirs) {
      // rmdir first: it fails (busy) while a process is left, and the usual case, an empty cgroup, costs one call
      while (!files.remove(dir)) {
        killAll();
        if (files.remove(dir) || System.nanoTime() > deadline) {
          break;
        }
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
  }
}
