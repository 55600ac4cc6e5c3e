package io.isolate.container.cgroup;

import io.isolate.container.ContainerSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * cgroup v2 (the unified hierarchy): one directory. The parent must delegate the memory, cpu and pids
 * controllers to its children ({@code cgroup.subtree_control}); a parent that holds processes itself (other than
 * the root) cannot, which is the usual reason to run the JVM under a delegated systemd scope. Memory is limited
 * with {@code memory.max} and {@code memory.swap.max = 0}, and {@code memory.oom.group} makes an out-of-memory
 * kill take down the whole isolate.
 */
final class CgroupV2Driver implements CgroupDriver {
  /**
   * The leaf this JVM's processes move into when its cgroup holds them and so cannot delegate controllers (what
   * container entrypoints do on cgroup v2), if {@link ContainerSettings#cgroupMoveJvm()} allows it.
   */
  static final String JVM_LEAF = "jvm.leaf";

  private final Path parent;
  private final CgroupFiles files;

  CgroupV2Driver(Path parent, CgroupFiles files) {
    this.parent = parent;
    this.files = files;
  }

  @Override
  public String describe() {
    return "cgroup v2 (memory, swap, cpu, pids) under " + parent;
  }

  Path parent() {
    return parent;
  }

  @Override
  public List<Path> parents() {
    return List.of(parent);
  }

  @Override
  public Cgroup create(String name, CgroupLimits limits) throws IOException {
    enableControllers();
    Path dir = parent.resolve(name);
    files.mkdir(dir);
    return configure(dir, limits);
  }

  /** For tests on a fake tree: creates the files a kernel would put into a new cgroup, then configures it. */
  Cgroup createWithKernelFiles(Path dir, String name, CgroupLimits limits) throws IOException {
    enableControllers();
    files.mkdir(dir);
    for (String f : List.of("memory.max", "memory.swap.max", "memory.oom.group", "cpu.max", "pids.max",
        "cgroup.procs")) {
      Files.writeString(dir.resolve(f), "");
    }
    return configure(dir, limits);
  }

  private Cgroup configure(Path dir, CgroupLimits limits) throws IOException {
    V2Cgroup cgroup = new V2Cgroup(dir, files);
    try {
      files.write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
      Path swap = dir.resolve("memory.swap.max");
      if (Files.exists(swap)) {
        files.write(swap, "0");
      }
      Path oomGroup = dir.resolve("memory.oom.group");
      if (Files.exists(oomGroup)) {
        files.write(oomGroup, "1");
      }
      files.write(dir.resolve("cpu.max"), limits.quotaMicros() + " " + CgroupLimits.PERIOD_US);
      files.write(dir.resolve("pids.max"), Integer.toString(limits.pids()));
      return cgroup;
    } catch (IOException | RuntimeException e) {
      cgroup.close();
      throw e;
    }
  }

  private void enableControllers() throws IOException {
    Path control = parent.resolve("cgroup.subtree_control");
    String enabled = files.read(control);
    List<String> have = enabled == null ? List.of() : List.of(enabled.split("\\s+"));
    if (have.containsAll(CgroupHost.V2_CONTROLLERS)) {
      return;
    }
    try {
      files.write(control, "+memory +cpu +pids");
      return;
    } catch (IOException e) {
      List<Long> residents = files.pids(parent.resolve("cgroup.procs"));
      if (residents.isEmpty() || !ContainerSettings.fromSystemProperties().cgroupMoveJvm()) {
        throw new IOException(e.getMessage() + " (a cgroup v2 parent that holds processes cannot delegate"
            + " controllers: run the JVM in a delegated cgroup, e.g. systemd-run --scope -p Delegate=yes, set -D"
            + ContainerSettings.CGROUP_PARENT + ", or let this library move the JVM into a leaf with -D"
            + ContainerSettings.CGROUP_MOVE_JVM
            + "=true)", e);
      }
    }
    // "No internal processes": move the parent's processes (this JVM) into a leaf, then delegate.
    Path leaf = parent.resolve(JVM_LEAF);
    if (!Files.isDirectory(leaf)) {
      files.mkdir(leaf);
    }
    for (Long pid : files.pids(parent.resolve("cgroup.procs"))) {
      try {
        files.write(leaf.resolve("cgroup.procs"), Long.toString(pid));
      } catch (IOException gone) {
        // the process ended meanwhile
      }
    }
    files.write(control, "+memory +cpu +pids");
  }

  static final class V2Cgroup extends AbstractCgroup {
    private final Path dir;

    V2Cgroup(Path dir, CgroupFiles files) {
      super(files);
      this.dir = dir;
    }

    @Override
    Path mainProcsFile() {
      return dir.resolve("cgroup.procs");
    }

    @Override
    public List<Path> procsFiles() {
      return List.of(dir.resolve("cgroup.procs"));
    }

    @Override
    public List<Path> directories() {
      return List.of(dir);
    }

    @Override
    public void killAll() {
      Path kill = dir.resolve("cgroup.kill");
      if (Files.exists(kill)) {
        try {
          files.write(kill, "1");
        } catch (IOException e) {
          // fall back to killing one by one
        }
      }
      super.killAll();
    }

    @Override
    public CgroupStats stats() {
      long usageMicros = files.readKey(dir.resolve("cpu.stat"), "usage_usec");
      long peak = files.readLong(dir.resolve("memory.peak"));
      long oomKills = Math.max(0, files.readKey(dir.resolve("memory.events"), "oom_kill"));
      long pidsHits = Math.max(0, files.readKey(dir.resolve("pids.events"), "max"));
      return new CgroupStats(usageMicros < 0 ? null : Duration.ofNanos(usageMicros * 1000), peak, oomKills,
          pidsHits);
    }
  }
}
