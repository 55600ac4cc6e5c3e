package io.isolate.container.cgroup;

import java.time.Duration;

/**
 * What a cgroup counted.
 *
 * @param cpuTime CPU time of every process that ran in it, or null when unknown
 * @param peakMemoryBytes the highest memory use, or -1 when unknown
 * @param oomKills processes the kernel killed for exceeding the memory limit
 * @param pidsLimitHits forks and clones refused because the pids limit was reached
 */
public record CgroupStats(Duration cpuTime, long peakMemoryBytes, long oomKills, long pidsLimitHits) {
  public static final CgroupStats NONE = new CgroupStats(null, -1, 0, 0);
}
