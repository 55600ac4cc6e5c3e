package io.isolate.container.cgroup;

import java.nio.file.Path;
import java.util.List;

/** One isolate's cgroup (one directory per hierarchy on v1, one directory on v2). */
public interface Cgroup extends AutoCloseable {
  /** The {@code cgroup.procs} files the isolate's init must be written into before it runs anything. */
  List<Path> procsFiles();

  /**
   * The cgroup v1 {@code tasks} files through which the isolate's init moves itself, used instead of
   * {@link #procsFiles()} when not empty. A single thread moving itself ({@code echo 0 > tasks}) skips the kernel's
   * global {@code cgroup_threadgroup_rwsem} (the kernel's single-thread migration path; 15 us here on 6.18), whereas
   * writing a pid into {@code cgroup.procs} takes it for writing and waits for an RCU grace period (about 12 ms here
   * after idle). A kernel without that path takes the lock either way, so this is never slower. Empty on v2, where
   * init is born in its cgroup.
   */
  default List<Path> selfJoinFiles() {
    return List.of();
  }

  /** Reads the counters; never throws (unreadable counters read as unknown). */
  CgroupStats stats();

  /** Sends SIGKILL to every process in the cgroup. */
  void killAll();

  /** True when no process is left in the cgroup. */
  boolean isEmpty();

  /** Kills what is left, waits for the cgroup to empty and removes its directories. Never throws. */
  @Override
  void close();

  /** The directories, for diagnostics and leak tests. */
  List<Path> directories();
}
