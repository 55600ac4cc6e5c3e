package io.isolate.container.cgroup;

import java.io.IOException;

/**
 * Creates cgroups on one kind of hierarchy: {@link CgroupV1Driver} (v1 and hybrid hosts) or
 * {@link CgroupV2Driver} (the unified hierarchy). {@link CgroupHost#detect()} picks the one this host supports.
 */
public interface CgroupDriver {
  /** A short description for doctor(): version, controllers, where cgroups are created. */
  String describe();

  /**
   * Creates the cgroup {@code name} with {@code limits} applied.
   *
   * @throws IOException naming the file that could not be created or written
   */
  Cgroup create(String name, CgroupLimits limits) throws IOException;

  /** The directories under which this driver creates cgroups (one per v1 hierarchy). */
  java.util.List<java.nio.file.Path> parents();
}
