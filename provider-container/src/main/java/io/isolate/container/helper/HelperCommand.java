package io.isolate.container.helper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The argument list of {@code isolate-helper}: one typed method per helper option, in the order the helper carries
 * them out. This class knows the helper's syntax and nothing about policy; {@link io.isolate.container.SandboxPolicy}
 * decides which options to use. Tests assert the exact argv ("golden argv").
 *
 * <pre>{@code
 * List<String> argv = HelperCommand.builder(helper)
 *     .unshare(Namespace.values()).idMaps(0, 0)
 *     .roBind(Path.of("/usr"), "/usr").proc("/proc")
 *     .command(List.of("/bin/true"))
 *     .argv();
 * }</pre>
 */
public final class HelperCommand {
  /** The namespaces the helper can create; the mount namespace is always new. */
  public enum Namespace {
    USER("--unshare-user"),
    PID("--unshare-pid"),
    NET("--unshare-net"),
    UTS("--unshare-uts"),
    IPC("--unshare-ipc"),
    CGROUP("--unshare-cgroup");

    final String flag;

    Namespace(String flag) {
      this.flag = flag;
    }
  }

  /** Resource limits, with the values of {@code <sys/resource.h>} on x86-64. */
  public enum Rlimit {
    CPU(0),
    FSIZE(1),
    DATA(2),
    STACK(3),
    CORE(4),
    NPROC(6),
    NOFILE(7),
    MEMLOCK(8),
    AS(9);

    final int number;

    Rlimit(int number) {
      this.number = number;
    }
  }

  private final List<String> argv;

  private HelperCommand(List<String> argv) {
    this.argv = Collections.unmodifiableList(argv);
  }

  public static Builder builder(Path helper) {
    return new Builder(helper);
  }

  /** The complete argument list, starting with the helper's path. */
  public List<String> argv() {
    return argv;
  }

  /**
   * This command with a graceful stop (SIGTERM to the helper) reaching the workload as {@code signal} (an image's
   * StopSignal); 0 or SIGTERM leaves it as it is.
   */
  public HelperCommand withStopSignal(int signal) {
    if (signal == 0 || signal == 15) {
      return this;
    }
    List<String> all = new ArrayList<>(argv);
    all.addAll(1, List.of("--stop-signal", Integer.toString(signal)));
    return new HelperCommand(all);
  }

  @Override
  public String toString() {
    return String.join(" ", argv);
  }

  /** Builds a {@link HelperCommand}; options are emitted in call order. */
  public static final class Builder {
    private final List<String> argv = new ArrayList<>();
    private List<String> command;

    private Builder(Path helper) {
      argv.add(helper.toString());
    }

    private Builder add(String... parts) {
      for (String p : parts) {
        if (p.indexOf('\0') >= 0) {
          throw new IllegalArgumentException("helper argument contains NUL: " + p.replace('\0', '?'));
        }
        argv.add(p);
      }
      return this;
    }

    /** The file the helper appends its status lines to. */
    public Builder status(Path file) {
      return add("--status", file.toString());
    }

    public Builder unshare(Namespace... namespaces) {
      for (Namespace n : namespaces) {
        add(n.flag);
      }
      return this;
    }

    /** Maps uid and gid 0 inside the user namespace to {@code hostUid}/{@code hostGid} outside. */
    public Builder idMaps(long hostUid, long hostGid) {
      return add("--uid-map", "0 " + hostUid + " 1", "--gid-map", "0 " + hostGid + " 1");
    }

    /**
     * Maps uid and gid 0 inside to {@code hostUid}/{@code hostGid}, and ids 1 to 65535 inside to
     * {@code rangeStart + 1} onwards outside (a JVM running as root may map more than its own ids).
     */
    public Builder idMaps(long hostUid, long hostGid, long rangeStart) {
      String rest = "\n1 " + (rangeStart + 1) + " 65535";
      return add("--uid-map", "0 " + hostUid + " 1" + rest, "--gid-map", "0 " + hostGid + " 1" + rest);
    }

    /**
     * Maps ids 0 to 65535 inside to {@code rangeStart} onwards outside, 0 included, so that the isolate's root is an
     * unprivileged host id (a JVM running as root may map a range), and has the host files the isolate is given
     * (bindings, image layers) mounted id-mapped through the same map ({@link #namespaceRoot()} included): their
     * owners show inside as they are on the host.
     */
    public Builder idMapsShifted(long rangeStart) {
      String map = "0 " + rangeStart + " 65536";
      return add("--uid-map", map, "--gid-map", map, "--idmap");
    }

    /**
     * The helper becomes uid and gid 0 of the user namespace once it is in it (for a command joining an isolate
     * made with {@link #idMapsShifted}, where the host's root is not mapped).
     */
    public Builder namespaceRoot() {
      return add("--idmap");
    }

    /** Maps only {@code insideUid}/{@code insideGid} of the user namespace, to {@code hostUid}/{@code hostGid}. */
    public Builder idMapsOf(int insideUid, int insideGid, long hostUid, long hostGid) {
      return add("--uid-map", insideUid + " " + hostUid + " 1", "--gid-map", insideGid + " " + hostGid + " 1");
    }

    /**
     * Runs the command in the namespaces of the running isolate whose init is {@code initPid} (host pid), a child of
     * the isolate's helper {@code helperPid} (checked, so that a pid reused after init ended is not joined).
     */
    public Builder join(long initPid, long helperPid) {
      return add("--join", Long.toString(initPid), Long.toString(helperPid));
    }

    /** With {@link #join}: copies the helper's stdin to {@code guestPath} (true) or that file to its stdout. */
    public Builder copy(boolean in, String guestPath) {
      command = List.of(); // a copy runs no program
      return add(in ? "--copy-in" : "--copy-out", guestPath);
    }

    /** Runs the workload as {@code uid}:{@code gid} of the user namespace. */
    public Builder user(int uid, int gid) {
      return add("--user", Integer.toString(uid), Integer.toString(gid));
    }

    /** A {@code cgroup.procs} (or v1 {@code cgroup.procs}) file the helper writes the isolate's init pid into. */
    public Builder cgroup(Path procsFile) {
      return add("--cgroup", procsFile.toString());
    }

    /**
     * A cgroup v1 {@code tasks} file that the helper opens and the isolate's (single-threaded) init writes
     * {@code 0} into, moving itself, before it does anything else: cheaper than {@link #cgroup(Path)} (see
     * {@code Cgroup.selfJoinFiles()}).
     */
    public Builder cgroupSelf(Path tasksFile) {
      return add("--cgroup-self", tasksFile.toString());
    }

    public Builder hostname(String hostname) {
      return add("--hostname", hostname);
    }

    /**
     * Shares the network namespace that process {@code holderPid}, a child of network keeper {@code keeperPid}, holds
     * for this member of a network of isolates, instead of unsharing one.
     */
    public Builder joinNetwork(long holderPid, long keeperPid) {
      return add("--join-net", Long.toString(holderPid), Long.toString(keeperPid));
    }

    /** Brings the loopback interface of the new network namespace up. */
    public Builder loopback() {
      return add("--loopback");
    }

    /** An existing host directory over which the helper mounts its scratch tmpfs (only in its mount namespace). */
    public Builder base(Path dir) {
      return add("--base", dir.toString());
    }

    public Builder bind(Path source, String dest) {
      return add("--bind", source.toString(), dest);
    }

    public Builder roBind(Path source, String dest) {
      return add("--ro-bind", source.toString(), dest);
    }

    /**
     * The host regular file {@code source} read-only at {@code dest}; the helper opens it without following a
     * symbolic link and binds the file it opened.
     */
    public Builder roBindFile(Path source, String dest) {
      return add("--ro-bind-file", source.toString(), dest);
    }

    /** A tmpfs of at most {@code sizeBytes} (0: the kernel default, half of RAM, still charged to the cgroup). */
    public Builder tmpfs(long sizeBytes, String dest) {
      return add("--tmpfs", Long.toString(sizeBytes), dest);
    }

    public Builder proc(String dest) {
      return add("--proc", dest);
    }

    /** A minimal /dev: null, zero, full, random, urandom, tty, fd links and a tmpfs shm. */
    public Builder dev(String dest) {
      return add("--dev", dest);
    }

    public Builder symlink(String target, String dest) {
      return add("--symlink", target, dest);
    }

    public Builder dir(String dest) {
      return add("--dir", dest);
    }

    /** Adds a lower layer for the next {@link #tmpOverlay}; the first one given is the top-most. */
    public Builder overlaySource(Path lower) {
      return add("--overlay-src", lower.toString());
    }

    /** An overlay of the pending {@link #overlaySource} layers with a throw-away upper layer in memory. */
    public Builder tmpOverlay(String dest) {
      return add("--tmp-overlay", dest);
    }

    /** Makes the mount at {@code dest} (only that one, not those below) read-only. */
    public Builder remountReadOnly(String dest) {
      return add("--remount-ro", dest);
    }

    /** Makes {@code dest}, a path inside the new root (such as /proc/sys), read-only where it is; absent: no-op. */
    public Builder readOnlyInPlace(String dest) {
      return add("--ro-self", dest);
    }

    /** Hides {@code dest} inside the new root: /dev/null over a file, an empty tmpfs over a directory. */
    public Builder mask(String dest) {
      return add("--mask", dest);
    }

    /**
     * Forwards the host's 127.0.0.1:{@code hostPort} to 127.0.0.1:{@code guestPort} in the isolate's network
     * namespace: the helper listens on the host side before it unshares, and a proxy inside the isolate accepts
     * and connects to the guest port for each connection.
     */
    public Builder publish(int hostPort, int guestPort) {
      return add("--publish", Integer.toString(hostPort), Integer.toString(guestPort));
    }

    public Builder chdir(String dir) {
      return add("--chdir", dir);
    }

    public Builder rlimit(Rlimit resource, long value) {
      return add("--rlimit", Integer.toString(resource.number), Long.toUnsignedString(value));
    }

    /** A classic BPF program ({@code struct sock_filter[]}, little-endian) installed just before exec. */
    public Builder seccomp(byte[] program) {
      return add("--seccomp", HexFormat.of().formatHex(program));
    }

    /** The program and its arguments; the program is looked up in PATH when it has no slash. */
    public Builder command(List<String> command) {
      if (command.isEmpty()) {
        throw new IllegalArgumentException("command is empty");
      }
      this.command = List.copyOf(command);
      return this;
    }

    public HelperCommand build() {
      Objects.requireNonNull(command, "command");
      List<String> all = new ArrayList<>(argv);
      all.add("--");
      all.addAll(command);
      for (String c : command) {
        if (c.indexOf('\0') >= 0) {
          throw new IllegalArgumentException("command argument contains NUL");
        }
      }
      return new HelperCommand(all);
    }

    /** Shortcut for {@code build().argv()}. */
    public List<String> argv() {
      return build().argv();
    }
  }
}
