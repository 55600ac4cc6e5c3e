/**
 * cgroups v1 and v2 behind one interface: {@link io.isolate.container.cgroup.CgroupHost} detects the hierarchy,
 * a {@link io.isolate.container.cgroup.CgroupDriver} creates one {@link io.isolate.container.cgroup.Cgroup} per run
 * with memory (and swap), CPU quota and pids limits, and reads back CPU time, peak memory, OOM kills and refused
 * forks.
 */
package io.isolate.container.cgroup;
