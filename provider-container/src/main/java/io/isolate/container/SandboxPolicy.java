package io.isolate.container;

import io.isolate.InvalidSpecException;
import io.isolate.IsolateSpec;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.PublishedPort;
import io.isolate.RunAs;
import io.isolate.Rootfs;
import io.isolate.Workload;
import io.isolate.container.helper.HelperCommand;
import io.isolate.container.helper.HelperCommand.Namespace;
import io.isolate.container.helper.HelperCommand.Rlimit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Turns an {@link IsolateSpec} into the helper's argument list: the whole container policy in one pure function
 * (Bazel's {@code LinuxSandboxCommandLineBuilder}). No file is touched here; what the policy needs from the host
 * comes through {@link HostLayout} and {@link Inputs}, so tests can assert the exact argv.
 *
 * <p>Policy:
 * <ul>
 *   <li>new user (uid/gid 0 inside mapped to the caller outside), pid, mount, uts, ipc and cgroup namespaces; a
 *       new network namespace unless the network is {@link Network#HOST}, with {@code lo} up for
 *       {@link Network#LOOPBACK};
 *   <li>root file system: {@link #HOST_DIRECTORIES} bound read-only on a tmpfs that ends read-only; a directory
 *       bound read-only; or an image's layers under an overlay with a throw-away upper layer in memory. When a
 *       mount point is missing below a read-only host directory, that directory becomes an overlay (so the mount
 *       point can be made) and is made read-only afterwards;
 *   <li>fresh /proc with {@link #PROC_READ_ONLY} read-only and {@link #PROC_MASKED} hidden, minimal /dev, a /tmp tmpfs no larger than the memory limit, then the spec's mounts, parents
 *       before children;
 *   <li>when the JVM runs as root, host files under /etc that others may not read are masked by empty ones;
 *   <li>core dumps off, a file-descriptor limit, all capabilities dropped, no_new_privs and the seccomp filter.
 * </ul>
 */
public final class SandboxPolicy {
  /**
   * Where the host ids of a root JVM's isolates begin: ids 0 to 65535 inside are this plus the id inside, far above
   * the host's users and the usual subordinate ranges (podman's start at 100000 and take 65536 per user).
   */
  public static final long ID_RANGE_START = 1L << 30;
  /** The host directories {@code Rootfs.hostReadOnly()} exposes (those that exist), like bwrap's usual set. */
  public static final List<String> HOST_DIRECTORIES =
      List.of("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt");

  /** /proc paths made read-only, as container runtimes do (they reach host-wide kernel settings). */
  public static final List<String> PROC_READ_ONLY =
      List.of("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs");

  /** /proc paths hidden, as container runtimes do (host memory, keys, timers, devices). */
  public static final List<String> PROC_MASKED = List.of("/proc/kcore", "/proc/keys", "/proc/timer_list",
      "/proc/sched_debug", "/proc/acpi", "/proc/scsi", "/proc/latency_stats", "/proc/asound");

  /** File descriptors the workload may hold open. */
  public static final long NOFILE = 4096;

  /**
   * Everything the policy needs besides the spec, decided or prepared by the caller.
   *
   * @param helper the extracted helper
   * @param statusFile where the helper reports
   * @param base an existing host directory for the helper's scratch tmpfs (mounted only in its namespace)
   * @param hostUid the uid that uid 0 inside maps to
   * @param hostGid the gid that gid 0 inside maps to
   * @param cgroupProcs the cgroup.procs files of the isolate's cgroup, which the helper writes init's pid into;
   *     empty without cgroups
   * @param cgroupTasks the v1 tasks files through which init moves itself into the isolate's cgroup (no RCU grace
   *     period, see {@code Cgroup.selfJoinFiles()}); empty without cgroups and on v2
   * @param imageLayers an image's unpacked layers, top-most first; empty unless the rootfs is an image
   * @param stagedFiles for each {@link Mount.Kind#FILE} mount of the spec, in order, the host file holding its
   *     content
   * @param seccomp the BPF program, or null for none
   * @param emptyFile an empty read-only host file, bound over host files that are masked
   * @param emptyDir an empty read-only host directory, bound over host directories that are masked
   * @param published host 127.0.0.1 ports forwarded to guest ports (LOOPBACK network only), from
   *     {@link IsolateSpec#publishedPorts()}
   */
  public record Inputs(Path helper, Path statusFile, Path base, long hostUid, long hostGid, List<Path> cgroupProcs,
      List<Path> cgroupTasks, List<Path> imageLayers, List<Path> stagedFiles, byte[] seccomp, Path emptyFile,
      Path emptyDir, List<PublishedPort> published, NetworkMember network) {
    /** Not on a network of isolates. */
    public Inputs(Path helper, Path statusFile, Path base, long hostUid, long hostGid, List<Path> cgroupProcs,
        List<Path> cgroupTasks, List<Path> imageLayers, List<Path> stagedFiles, byte[] seccomp, Path emptyFile,
        Path emptyDir, List<PublishedPort> published) {
      this(helper, statusFile, base, hostUid, hostGid, cgroupProcs, cgroupTasks, imageLayers, stagedFiles, seccomp,
          emptyFile, emptyDir, published, null);
    }

    /** Without v1 tasks files. */
    public Inputs(Path helper, Path statusFile, Path base, long hostUid, long hostGid, List<Path> cgroupProcs,
        List<Path> imageLayers, List<Path> stagedFiles, byte[] seccomp, Path emptyFile, Path emptyDir,
        List<PublishedPort> published) {
      this(helper, statusFile, base, hostUid, hostGid, cgroupProcs, List.of(), imageLayers, stagedFiles, seccomp,
          emptyFile, emptyDir, published);
    }
  }

  /**
   * An isolate's place on a network of isolates (see {@link ContainerNetwork#join}): the process that holds its
   * network namespace, that process's parent (the network's keeper), and whether the keeper has a user namespace of
   * its own (the JVM is not root), to which the isolate's id maps are then relative.
   */
  public record NetworkMember(long holderPid, long keeperPid, boolean ownUserNamespace) {
    public NetworkMember {
      if (holderPid <= 1 || keeperPid <= 1 || holderPid == keeperPid) {
        throw new IllegalArgumentException("network member held by " + holderPid + " of keeper " + keeperPid);
      }
    }
  }

  private static NetworkMember networkOf(IsolateSpec spec, NetworkMember network) {
    if (spec.sharedNetwork().isPresent() != (network != null)) {
      throw new IllegalArgumentException(spec.sharedNetwork().isPresent()
          ? "the isolate is on a network of isolates, but has no place on it" : "a place on a network of isolates "
          + "for an isolate that is on none");
    }
    return network;
  }

  /** One mount operation before it is written as options, so that a read-only bind can become an overlay. */
  private record Op(String kind, Path source, String dest, long size, List<Path> layers) {
    boolean covers(String path) {
      return dest.equals("/") || path.equals(dest) || path.startsWith(dest + "/");
    }
  }

  private final HostLayout host;

  public SandboxPolicy(HostLayout host) {
    this.host = host;
  }

  /**
   * Rejects what this level cannot honour, naming the culprit.
   *
   * @throws InvalidSpecException for a mount on {@code /}
   */
  public static void validate(IsolateSpec spec) {
    if (spec.workload().kind() == Workload.Kind.IMAGE_COMMAND && spec.rootfs().kind() != Rootfs.Kind.OCI_IMAGE) {
      throw new InvalidSpecException("Workload.imageCommand runs the command of the root image, but the root is "
          + spec.rootfs() + "; use Rootfs.ociImage(...) or Workload.command(...)");
    }
    for (Mount m : spec.mounts()) {
      if (m.guestPath().equals("/")) {
        throw new InvalidSpecException("mount " + m + " covers the whole root; use Rootfs.directory(...) for that");
      }
    }
  }

  public HelperCommand command(IsolateSpec spec, Inputs in) {
    HelperCommand.Builder b = HelperCommand.builder(in.helper()).status(in.statusFile());
    b.unshare(Namespace.USER, Namespace.PID);
    NetworkMember shared = networkOf(spec, in.network());
    if (shared != null) {
      b.joinNetwork(shared.holderPid(), shared.keeperPid());
    } else if (spec.network() != Network.HOST) {
      b.unshare(Namespace.NET);
    }
    b.unshare(Namespace.UTS, Namespace.IPC, Namespace.CGROUP);
    RunAs runAs = spec.runAs().orElse(null);
    // Ids are mapped from the user namespace the helper is in when it makes the isolate's: the network keeper's (where
    // the JVM's ids are 0) when the isolate joins a network of a JVM that is not root, else the host's.
    long outsideUid = shared != null && shared.ownUserNamespace() ? 0 : in.hostUid();
    long outsideGid = shared != null && shared.ownUserNamespace() ? 0 : in.hostGid();
    if (in.hostUid() == 0) {
      // root may map a range: the ids an image's users have (postgres, redis, nobody...) exist in the isolate, as
      // unprivileged ids of the host far above its users, and so does 0: the isolate's root is not the host's. The
      // host files it is given are id-mapped through the same map, so their owners show inside as on the host.
      if (host.idMappedMounts()) {
        b.idMapsShifted(ID_RANGE_START);
      } else {
        b.idMaps(in.hostUid(), in.hostGid(), ID_RANGE_START); // an older kernel: 0 inside stays host root
      }
      if (runAs != null && !runAs.isRoot()) {
        b.user(runAs.uid(), runAs.gid());
      }
    } else if (runAs != null && !runAs.isRoot()) {
      // another user can map only its own ids: the workload's ids inside are the JVM's outside (and the isolate's
      // set-up runs as them too, with the namespace's capabilities until the workload starts)
      b.idMapsOf(runAs.uid(), runAs.gid(), outsideUid, outsideGid);
    } else {
      b.idMaps(outsideUid, outsideGid);
    }
    for (Path procs : in.cgroupProcs()) {
      b.cgroup(procs);
    }
    for (Path tasks : in.cgroupTasks()) {
      b.cgroupSelf(tasks);
    }
    b.hostname(spec.hostname());
    if (spec.network() == Network.LOOPBACK && shared == null) {
      b.loopback(); // a network member's holder brought its loopback up
    }
    if (!in.published().isEmpty() && spec.network() != Network.LOOPBACK) {
      throw new InvalidSpecException("published ports need network LOOPBACK, not " + spec.network());
    }
    for (PublishedPort p : in.published()) {
      b.publish(p.hostPort(), p.guestPort());
    }
    b.base(in.base());

    List<Op> ops = new ArrayList<>();
    List<String> readOnlyAtEnd = new ArrayList<>();
    switch (spec.rootfs().kind()) {
      case HOST_READ_ONLY -> {
        for (String d : HOST_DIRECTORIES) {
          Path p = Path.of("/", d);
          Optional<String> link = host.symlinkTarget(p);
          if (link.isPresent()) {
            ops.add(new Op("symlink", Path.of(link.get()), "/" + d, 0, List.of()));
          } else if (host.isDirectory(p)) {
            ops.add(new Op("ro-bind", p, "/" + d, 0, List.of()));
          }
        }
        if (in.hostUid() == 0 && host.isDirectory(Path.of("/etc"))) {
          // uid 0 inside is host root for file permissions: hide what only root may read (/etc/shadow...)
          for (Path secret : host.unreadableByOthers(Path.of("/etc"))) {
            ops.add(new Op("ro-bind", host.isDirectory(secret) ? in.emptyDir() : in.emptyFile(), secret.toString(),
                0, List.of()));
          }
        }
        readOnlyAtEnd.add("/");
      }
      case DIRECTORY -> {
        ops.add(new Op("ro-bind", spec.rootfs().path().orElseThrow(), "/", 0, List.of()));
        readOnlyAtEnd.add("/");
      }
      case OCI_IMAGE -> ops.add(new Op("overlay", null, "/", 0, in.imageLayers()));
    }
    validate(spec);
    List<Mount> mounts = new ArrayList<>(spec.mounts());
    mounts.sort(Comparator.comparingInt(m -> depth(m.guestPath())));
    boolean userTmp = mounts.stream().anyMatch(m -> m.guestPath().equals("/tmp"));
    boolean userProc = mounts.stream().anyMatch(m -> m.guestPath().equals("/proc"));
    boolean userDev = mounts.stream().anyMatch(m -> m.guestPath().equals("/dev"));
    if (!userProc) {
      mountOn(ops, readOnlyAtEnd, new Op("proc", null, "/proc", 0, List.of()));
    }
    if (!userDev) {
      mountOn(ops, readOnlyAtEnd, new Op("dev", null, "/dev", 0, List.of()));
    }
    if (!userTmp) {
      mountOn(ops, readOnlyAtEnd, new Op("tmpfs", null, "/tmp", spec.limits().memoryBytes(), List.of()));
    }
    int file = 0;
    for (Mount m : mounts) {
      Op op = switch (m.kind()) {
        case READ_ONLY -> new Op("ro-bind", m.hostPath().orElseThrow(), m.guestPath(), 0, List.of());
        case IMAGE -> new Op("ro-bind-file", m.hostPath().orElseThrow(), m.guestPath(), 0, List.of());
        case READ_WRITE -> new Op("bind", m.hostPath().orElseThrow(), m.guestPath(), 0, List.of());
        case TMPFS -> new Op("tmpfs", null, m.guestPath(), m.sizeBytes(), List.of());
        case FILE -> new Op("ro-bind", in.stagedFiles().get(file++), m.guestPath(), 0, List.of());
      };
      mountOn(ops, readOnlyAtEnd, op);
    }
    for (Op op : ops) {
      emit(b, op);
      if (op.kind().equals("proc")) {
        // uid 0 inside may be host root (a root JVM): kernel-wide knobs in /proc must not be writable
        PROC_READ_ONLY.forEach(p -> b.readOnlyInPlace(op.dest() + p.substring("/proc".length())));
        PROC_MASKED.forEach(p -> b.mask(op.dest() + p.substring("/proc".length())));
      }
    }
    for (String dest : readOnlyAtEnd) {
      b.remountReadOnly(dest);
    }
    if (!spec.workingDir().equals("/")) {
      b.chdir(spec.workingDir());
    }
    b.rlimit(Rlimit.CORE, 0).rlimit(Rlimit.NOFILE, NOFILE);
    if (in.seccomp() != null) {
      b.seccomp(in.seccomp());
    }
    List<String> command = new ArrayList<>();
    command.add(spec.workload().name());
    command.addAll(spec.workload().args());
    return b.command(command).build();
  }

  /**
   * The command that runs {@code argv} inside the running isolate of {@code spec} whose init is {@code initPid}: in
   * its cgroup ({@code cgroupProcs} or, on v1, {@code cgroupTasks}), namespaces and working directory, as its
   * workload's user, with the same limits, capabilities dropped and seccomp filter.
   */
  public HelperCommand joinCommand(IsolateSpec spec, Path helper, Path statusFile, long hostUid, long[] initAndHelper,
      List<Path> cgroupProcs, List<Path> cgroupTasks, byte[] seccomp, List<String> argv) {
    return joinCommand(spec, helper, statusFile, hostUid, initAndHelper, cgroupProcs, cgroupTasks, seccomp, argv,
        null);
  }

  /** {@link #joinCommand} for a member of a network of isolates, at its place {@code network}. */
  public HelperCommand joinCommand(IsolateSpec spec, Path helper, Path statusFile, long hostUid, long[] initAndHelper,
      List<Path> cgroupProcs, List<Path> cgroupTasks, byte[] seccomp, List<String> argv, NetworkMember network) {
    return joinBuilder(spec, helper, statusFile, hostUid, initAndHelper, cgroupProcs, cgroupTasks, seccomp, network)
        .command(argv).build();
  }

  /**
   * The command that copies into ({@code in}) or out of {@code guestPath} of the running isolate, as its workload
   * would: joined like {@link #joinCommand}, with its file system view, user and filter.
   */
  public HelperCommand copyCommand(IsolateSpec spec, Path helper, Path statusFile, long hostUid, long[] initAndHelper,
      List<Path> cgroupProcs, List<Path> cgroupTasks, byte[] seccomp, boolean in, String guestPath) {
    return copyCommand(spec, helper, statusFile, hostUid, initAndHelper, cgroupProcs, cgroupTasks, seccomp, in,
        guestPath, null);
  }

  /** {@link #copyCommand} for a member of a network of isolates, at its place {@code network}. */
  public HelperCommand copyCommand(IsolateSpec spec, Path helper, Path statusFile, long hostUid, long[] initAndHelper,
      List<Path> cgroupProcs, List<Path> cgroupTasks, byte[] seccomp, boolean in, String guestPath,
      NetworkMember network) {
    return joinBuilder(spec, helper, statusFile, hostUid, initAndHelper, cgroupProcs, cgroupTasks, seccomp, network)
        .copy(in, guestPath).build();
  }

  private HelperCommand.Builder joinBuilder(IsolateSpec spec, Path helper, Path statusFile, long hostUid,
      long[] initAndHelper, List<Path> cgroupProcs, List<Path> cgroupTasks, byte[] seccomp, NetworkMember network) {
    HelperCommand.Builder b = HelperCommand.builder(helper).status(statusFile).join(initAndHelper[0],
        initAndHelper[1]);
    NetworkMember shared = networkOf(spec, network);
    if (shared != null) {
      b.joinNetwork(shared.holderPid(), shared.keeperPid());
    }
    cgroupProcs.forEach(b::cgroup);
    cgroupTasks.forEach(b::cgroupSelf);
    RunAs runAs = spec.runAs().orElse(null);
    if (hostUid == 0) {
      if (host.idMappedMounts()) {
        b.namespaceRoot(); // the host's root is not mapped in a root JVM's isolate
      }
      if (runAs != null && !runAs.isRoot()) {
        b.user(runAs.uid(), runAs.gid());
      }
    }
    b.chdir(spec.workingDir());
    b.rlimit(Rlimit.CORE, 0).rlimit(Rlimit.NOFILE, NOFILE);
    if (seccomp != null) {
      b.seccomp(seccomp);
    }
    return b;
  }

  /**
   * Adds {@code op}; when its mount point does not exist below a read-only host bind that covers it, that bind
   * becomes an overlay (writable while mounting, read-only at the end) so the mount point can be created.
   */
  private void mountOn(List<Op> ops, List<String> readOnlyAtEnd, Op op) {
    for (int i = ops.size() - 1; i >= 0; i--) {
      Op cover = ops.get(i);
      if (!cover.covers(op.dest())) {
        continue;
      }
      if (cover.kind().equals("ro-bind") && !cover.dest().equals(op.dest()) && host.isDirectory(cover.source())) {
        String rest = cover.dest().equals("/") ? op.dest().substring(1) : op.dest().substring(cover.dest().length() + 1);
        if (!host.exists(cover.source().resolve(rest))) {
          ops.set(i, new Op("overlay", null, cover.dest(), 0, List.of(cover.source())));
          if (!readOnlyAtEnd.contains(cover.dest())) {
            readOnlyAtEnd.add(0, cover.dest());
          }
        }
      }
      break;
    }
    ops.add(op);
  }

  private static void emit(HelperCommand.Builder b, Op op) {
    switch (op.kind()) {
      case "symlink" -> b.symlink(op.source().toString(), op.dest());
      case "ro-bind" -> b.roBind(op.source(), op.dest());
      case "ro-bind-file" -> b.roBindFile(op.source(), op.dest());
      case "bind" -> b.bind(op.source(), op.dest());
      case "tmpfs" -> b.tmpfs(op.size(), op.dest());
      case "proc" -> b.proc(op.dest());
      case "dev" -> b.dev(op.dest());
      case "overlay" -> {
        for (Path layer : op.layers()) {
          b.overlaySource(layer);
        }
        b.tmpOverlay(op.dest());
      }
      default -> throw new AssertionError(op.kind());
    }
  }

  private static int depth(String guestPath) {
    return guestPath.equals("/") ? 0 : guestPath.split("/").length - 1;
  }
}
