package io.isolate.container.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * cgroup v1: one directory per controller hierarchy (memory, cpu, cpuacct, pids; cpu and cpuacct may share one).
 * Memory is limited together with swap ({@code memory.memsw.limit_in_bytes}) so that swap is no escape; an
 * out-of-memory kill is read from {@code memory.oom_control}, a refused fork from {@code pids.events}.
 */
final class CgroupV1Driver implements CgroupDriver {
  private final Map<String, Path> parents;
  private final CgroupFiles files;
  /** Whether the kernel accounts swap (memory.memsw.*): the same for every cgroup, so looked up once. */
  private volatile Boolean swapAccounting;

  CgroupV1Driver(Map<String, Path> parents, CgroupFiles files) {
    this.parents = new LinkedHashMap<>(parents);
    this.files = files;
  }

  @Override
  public String describe() {
    return "cgroup v1 (memory+swap, cpu, cpuacct, pids) under " + parents.get("memory");
  }

  @Override
  public List<Path> parents() {
    return parents.values().stream().distinct().toList();
  }

  @Override
  public Cgroup create(String name, CgroupLimits limits) throws IOException {
    Map<String, Path> dirs = new LinkedHashMap<>();
    V1Cgroup cgroup = new V1Cgroup(dirs, files);
    try {
      for (Map.Entry<String, Path> e : parents.entrySet()) {
        Path dir = e.getValue().resolve(name);
        if (!dirs.containsValue(dir)) {
          files.mkdir(dir);
        }
        dirs.put(e.getKey(), dir);
      }
      Path memory = dirs.get("memory");
      files.write(memory.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
      Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
      Boolean swap = swapAccounting;
      if (swap == null) {
        swap = Files.exists(memsw);
        swapAccounting = swap;
      }
      if (swap) {
        files.write(memsw, Long.toString(limits.memoryBytes()));
      } else {
        // No swap accounting (kernel booted without swapaccount): keep the kernel from swapping this group.
        files.write(memory.resolve("memory.swappiness"), "0");
      }
      Path cpu = dirs.get("cpu");
      files.write(cpu.resolve("cpu.cfs_period_us"), Long.toString(CgroupLimits.PERIOD_US));
      files.write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.quotaMicros()));
      files.write(dirs.get("pids").resolve("pids.max"), Integer.toString(limits.pids()));
      return cgroup;
    } catch (IOException | RuntimeException e) {
      cgroup.close();
      throw e;
    }
  }

  static final class V1Cgroup extends AbstractCgroup {
    private final Map<String, Path> dirs;

    V1Cgroup(Map<String, Path> dirs, CgroupFiles files) {
      super(files);
      this.dirs = dirs;
    }

    @Override
    Path mainProcsFile() {
      return dirs.get("memory").resolve("cgroup.procs");
    }

    @Override
    public List<Path> procsFiles() {
      return directories().stream().map(d -> d.resolve("cgroup.procs")).toList();
    }

    @Override
    public List<Path> selfJoinFiles() {
      return directories().stream().map(d -> d.resolve("tasks")).toList();
    }

    @Override
    public List<Path> directories() {
      List<Path> unique = new ArrayList<>();
      for (Path p : dirs.values()) {
        if (!unique.contains(p)) {
          unique.add(p);
        }
      }
      return unique;
    }

    @Override
    public CgroupStats stats() {
      Path memory = dirs.get("memory");
      Path cpuacct = dirs.get("cpuacct");
      Path pids = dirs.get("pids");
      if (memory == null || cpuacct == null || pids == null) {
        return CgroupStats.NONE;
      }
      long cpuNanos = files.readLong(cpuacct.resolve("cpuacct.usage"));
      long peak = files.readLong(memory.resolve("memory.max_usage_in_bytes"));
      long oomKills = Math.max(0, files.readKey(memory.resolve("memory.oom_control"), "oom_kill"));
      long pidsHits = Math.max(0, files.readKey(pids.resolve("pids.events"), "max"));
      return new CgroupStats(cpuNanos < 0 ? null : Duration.ofNanos(cpuNanos), peak, oomKills, pidsHits);
    }
  }
}
