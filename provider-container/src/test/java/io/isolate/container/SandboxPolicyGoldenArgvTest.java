package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.IsolateSpec;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.Rootfs;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy as the exact argument list of the helper, for a described (not the real) host. */
class SandboxPolicyGoldenArgvTest {
  /**
   * A merged-/usr host: /bin, /sbin, /lib, /lib64 are links into /usr; /etc/app does not exist; its kernel has
   * id-mapped mounts or not.
   */
  private static final class DescribedHost implements HostLayout {
    private final Map<String, String> links = Map.of("/bin", "usr/bin", "/sbin", "usr/sbin", "/lib", "usr/lib",
        "/lib64", "usr/lib64");
    private final Set<String> dirs = Set.of("/usr", "/etc", "/srv/data", "/srv/out", "/srv/root", "/srv/root/proc",
        "/srv/root/dev", "/srv/root/tmp", "/etc/ssl/private");
    private final boolean idMapped;

    DescribedHost(boolean idMapped) {
      this.idMapped = idMapped;
    }

    @Override
    public boolean exists(Path path) {
      return links.containsKey(path.toString()) || dirs.contains(path.toString());
    }

    @Override
    public Optional<String> symlinkTarget(Path path) {
      return Optional.ofNullable(links.get(path.toString()));
    }

    @Override
    public boolean isDirectory(Path path) {
      return dirs.contains(path.toString());
    }

    @Override
    public List<Path> unreadableByOthers(Path dir) {
      return List.of(Path.of("/etc/shadow"), Path.of("/etc/ssl/private"));
    }

    @Override
    public boolean idMappedMounts() {
      return idMapped;
    }
  }

  private static final HostLayout HOST = new DescribedHost(true);

  /** What follows every fresh /proc. */
  private static final String PROC = "PROC";

  private static List<String> expand(List<String> golden) {
    List<String> out = new java.util.ArrayList<>();
    for (String s : golden) {
      if (s.equals(PROC)) {
        out.addAll(List.of("--ro-self", "/proc/sys", "--ro-self", "/proc/sysrq-trigger", "--ro-self", "/proc/irq",
            "--ro-self", "/proc/bus", "--ro-self", "/proc/fs", "--mask", "/proc/kcore", "--mask", "/proc/keys",
            "--mask", "/proc/timer_list", "--mask", "/proc/sched_debug", "--mask", "/proc/acpi", "--mask",
            "/proc/scsi", "--mask", "/proc/latency_stats", "--mask", "/proc/asound"));
      } else {
        out.add(s);
      }
    }
    return out;
  }

  private static SandboxPolicy.Inputs inputs(List<Path> cgroups, List<Path> layers, List<Path> staged) {
    return new SandboxPolicy.Inputs(Path.of("/h/isolate-helper"), Path.of("/run/status"), Path.of("/tmp"), 1000, 100,
        cgroups, layers, staged, new byte[] {6, 0, 0, 0, 0, 0, (byte) 0xff, 0x7f}, Path.of("/run/empty-file"),
        Path.of("/run/empty-dir"), List.of());
  }

  private static Isolate.Builder builder() {
    return Isolate.builder().level(IsolationLevel.OS).workload(Workload.command("/bin/echo", "hi"))
        .limits(Limits.builder().memory(64, SizeUnit.MEGABYTES).build());
  }

  @Test
  void theDefaultSpecIsAHostReadOnlyRootWithoutNetwork() {
    IsolateSpec spec = builder().spec();
    List<String> argv = new SandboxPolicy(HOST).command(spec,
        inputs(List.of(Path.of("/cg/memory/x/cgroup.procs")), List.of(), List.of())).argv();
    assertEquals(expand(List.of("/h/isolate-helper", "--status", "/run/status",
        "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-ipc", "--unshare-cgroup",
        "--uid-map", "0 1000 1", "--gid-map", "0 100 1",
        "--cgroup", "/cg/memory/x/cgroup.procs",
        "--hostname", "isolate", "--base", "/tmp",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--ro-bind", "/etc", "/etc",
        "--proc", "/proc", PROC, "--dev", "/dev", "--tmpfs", "67108864", "/tmp",
        "--remount-ro", "/",
        "--rlimit", "4", "0", "--rlimit", "7", "4096",
        "--seccomp", "060000000000ff7f",
        "--", "/bin/echo", "hi")), argv);
  }

  @Test
  void aMemberOfANetworkJoinsItsHoldersNamespaceWithIdsRelativeToTheKeepersUserNamespace() {
    Prerequisites.requireOsLevel(); // a spec on a network names a live one; its place here is a described one
    try (io.isolate.IsolateNetwork network = io.isolate.IsolateNetwork.create()) {
      IsolateSpec spec = builder().network(network, "db").spec();
      SandboxPolicy.NetworkMember place = new SandboxPolicy.NetworkMember(4242, 4241, true);
      SandboxPolicy.Inputs in = inputs(List.of(), List.of(), List.of());
      List<String> argv = new SandboxPolicy(HOST).command(spec, new SandboxPolicy.Inputs(in.helper(), in.statusFile(),
          in.base(), in.hostUid(), in.hostGid(), in.cgroupProcs(), in.cgroupTasks(), in.imageLayers(),
          in.stagedFiles(), in.seccomp(), in.emptyFile(), in.emptyDir(), in.published(), place)).argv();
      assertEquals(List.of("/h/isolate-helper", "--status", "/run/status", "--unshare-user", "--unshare-pid",
          "--join-net", "4242", "4241", "--unshare-uts", "--unshare-ipc", "--unshare-cgroup",
          "--uid-map", "0 0 1", "--gid-map", "0 0 1", "--hostname", "isolate"), argv.subList(0, 17),
          "no network namespace of its own, no loopback to bring up: the holder's");
      assertTrue(!argv.contains("--loopback"), argv::toString);
      List<String> exec = new SandboxPolicy(HOST).joinCommand(spec, Path.of("/h/isolate-helper"),
          Path.of("/run/exec"), 1000, new long[] {77, 76}, List.of(), List.of(), null, List.of("/bin/true"), place)
          .argv();
      assertEquals(List.of("/h/isolate-helper", "--status", "/run/exec", "--join", "77", "76", "--join-net", "4242",
          "4241"), exec.subList(0, 9));
      assertThrows(IllegalArgumentException.class, () -> new SandboxPolicy(HOST).command(spec, in),
          "a member without its place");
      assertThrows(IllegalArgumentException.class, () -> new SandboxPolicy.NetworkMember(4242, 4242, false));
    }
  }

  @Test
  void onCgroupV1InitJoinsThroughTasksFilesTheHelperOpens() {
    IsolateSpec spec = builder().spec();
    SandboxPolicy.Inputs in = inputs(List.of(), List.of(), List.of());
    SandboxPolicy.Inputs v1 = new SandboxPolicy.Inputs(in.helper(), in.statusFile(), in.base(), in.hostUid(),
        in.hostGid(), List.of(), List.of(Path.of("/cg/memory/x/tasks"), Path.of("/cg/pids/x/tasks")),
        in.imageLayers(), in.stagedFiles(), in.seccomp(), in.emptyFile(), in.emptyDir(), List.of());
    List<String> argv = new SandboxPolicy(HOST).command(spec, v1).argv();
    assertEquals(expand(List.of("/h/isolate-helper", "--status", "/run/status",
        "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-ipc", "--unshare-cgroup",
        "--uid-map", "0 1000 1", "--gid-map", "0 100 1",
        "--cgroup-self", "/cg/memory/x/tasks", "--cgroup-self", "/cg/pids/x/tasks",
        "--hostname", "isolate", "--base", "/tmp",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--ro-bind", "/etc", "/etc",
        "--proc", "/proc", PROC, "--dev", "/dev", "--tmpfs", "67108864", "/tmp",
        "--remount-ro", "/",
        "--rlimit", "4", "0", "--rlimit", "7", "4096",
        "--seccomp", "060000000000ff7f",
        "--", "/bin/echo", "hi")), argv);
  }

  @Test
  void asRootFilesOnlyRootMayReadAreMaskedInTheHostRoot() {
    IsolateSpec spec = builder().spec();
    SandboxPolicy.Inputs in = inputs(List.of(), List.of(), List.of());
    SandboxPolicy.Inputs root = new SandboxPolicy.Inputs(in.helper(), in.statusFile(), in.base(), 0, 0,
        in.cgroupProcs(), in.imageLayers(), in.stagedFiles(), in.seccomp(), in.emptyFile(), in.emptyDir(), List.of());
    String argv = String.join(" ", new SandboxPolicy(HOST).command(spec, root).argv());
    assertEquals(true, argv.contains("--ro-bind /etc /etc --ro-bind /run/empty-file /etc/shadow"
        + " --ro-bind /run/empty-dir /etc/ssl/private --proc /proc --ro-self /proc/sys"), argv);
  }

  @Test
  void asRootTheIsolatesIdsAreUnprivilegedHostIdsAndTheHostFilesItIsGivenAreIdMapped() {
    IsolateSpec spec = builder().spec();
    SandboxPolicy.Inputs in = inputs(List.of(), List.of(), List.of());
    SandboxPolicy.Inputs root = new SandboxPolicy.Inputs(in.helper(), in.statusFile(), in.base(), 0, 0,
        in.cgroupProcs(), in.imageLayers(), in.stagedFiles(), in.seccomp(), in.emptyFile(), in.emptyDir(), List.of());
    String argv = String.join(" ", new SandboxPolicy(HOST).command(spec, root).argv());
    assertEquals(true, argv.contains("--uid-map 0 1073741824 65536 --gid-map 0 1073741824 65536 --idmap"), argv);
    // a kernel without id-mapped overlay layers keeps the isolate's root the host's (and the doctor says so)
    HostLayout old = new DescribedHost(false);
    String older = String.join(" ", new SandboxPolicy(old).command(spec, root).argv());
    assertEquals(true, older.contains("--uid-map 0 0 1\n1 1073741825 65535") && !older.contains("--idmap"), older);
  }

  @Test
  void kernelReleasesAreComparedByMajorAndMinor() {
    assertEquals(true, HostLayout.kernelAtLeast("5.19.0", 5, 19));
    assertEquals(true, HostLayout.kernelAtLeast("6.1.0-13-amd64", 5, 19));
    assertEquals(false, HostLayout.kernelAtLeast("5.18.17", 5, 19));
    assertEquals(false, HostLayout.kernelAtLeast("4.18.0-513.5.1.el8_9.x86_64", 5, 19));
    assertEquals(false, HostLayout.kernelAtLeast("", 5, 19));
  }

  @Test
  void mountsComeParentsFirstAndAMissingMountPointTurnsItsHostDirectoryIntoAnOverlay() {
    IsolateSpec spec = builder()
        .mount(Mount.file("/etc/app/app.conf", new byte[] {1}))
        .mount(Mount.tmpfs("/srv/scratch", 1024))
        .network(Network.LOOPBACK).hostname("box").workingDir("/srv")
        .spec();
    List<String> argv = new SandboxPolicy(HOST).command(spec,
        inputs(List.of(), List.of(), List.of(Path.of("/run/file-0")))).argv();
    assertEquals(expand(List.of("/h/isolate-helper", "--status", "/run/status",
        "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-ipc", "--unshare-cgroup",
        "--uid-map", "0 1000 1", "--gid-map", "0 100 1",
        "--hostname", "box", "--loopback", "--base", "/tmp",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--overlay-src", "/etc", "--tmp-overlay", "/etc",
        "--proc", "/proc", PROC, "--dev", "/dev", "--tmpfs", "67108864", "/tmp",
        "--tmpfs", "1024", "/srv/scratch",
        "--ro-bind", "/run/file-0", "/etc/app/app.conf",
        "--remount-ro", "/etc", "--remount-ro", "/",
        "--chdir", "/srv",
        "--rlimit", "4", "0", "--rlimit", "7", "4096",
        "--seccomp", "060000000000ff7f",
        "--", "/bin/echo", "hi")), argv);
  }

  @Test
  void anImageIsAnOverlayOfItsLayersWithAWritableRootAndHostNetworkSharesTheNetns(@TempDir Path dir)
      throws IOException {
    Files.createDirectories(dir);
    IsolateSpec spec = builder().rootfs(Rootfs.ociImage(dir)).network(Network.HOST).spec();
    List<String> argv = new SandboxPolicy(HOST).command(spec,
        inputs(List.of(), List.of(Path.of("/cache/top"), Path.of("/cache/base")), List.of())).argv();
    assertEquals(expand(List.of("/h/isolate-helper", "--status", "/run/status",
        "--unshare-user", "--unshare-pid", "--unshare-uts", "--unshare-ipc", "--unshare-cgroup",
        "--uid-map", "0 1000 1", "--gid-map", "0 100 1",
        "--hostname", "isolate", "--base", "/tmp",
        "--overlay-src", "/cache/top", "--overlay-src", "/cache/base", "--tmp-overlay", "/",
        "--proc", "/proc", PROC, "--dev", "/dev", "--tmpfs", "67108864", "/tmp",
        "--rlimit", "4", "0", "--rlimit", "7", "4096",
        "--seccomp", "060000000000ff7f",
        "--", "/bin/echo", "hi")), argv);
  }

  @Test
  void aDirectoryRootIsBoundReadOnlyWithReadWriteMountsOnTop(@TempDir Path root, @TempDir Path out) {
    IsolateSpec spec = builder().rootfs(Rootfs.directory(root)).mount(Mount.readWrite(out, "/out")).spec();
    HostLayout host = new HostLayout() {
      @Override
      public boolean exists(Path path) {
        return !path.equals(root.resolve("out"));
      }

      @Override
      public Optional<String> symlinkTarget(Path path) {
        return Optional.empty();
      }

      @Override
      public boolean isDirectory(Path path) {
        return true;
      }

      @Override
      public List<Path> unreadableByOthers(Path dir) {
        return List.of();
      }
    };
    List<String> argv = new SandboxPolicy(host).command(spec, inputs(List.of(), List.of(), List.of())).argv();
    String joined = String.join(" ", argv);
    assertEquals(true, joined.contains("--overlay-src " + root + " --tmp-overlay / --proc /proc")
        && joined.contains("--mask /proc/asound --dev /dev"
        + " --tmpfs 67108864 /tmp --bind " + out + " /out --remount-ro / --rlimit"), joined);
  }
}
