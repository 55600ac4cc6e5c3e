package io.isolate.container.cgroup;

import java.nio.file.Path;
import java.util.List;

/** One isolate's cgroup (one directory per hierarchy on v1, one directory on v2). */
public interface Cgroup extends AutoCloseable {
  /** The {@code cgroup.procs} files the isolate's init must be written into before it runs anything. */
  List<Path> procsFiles();

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
