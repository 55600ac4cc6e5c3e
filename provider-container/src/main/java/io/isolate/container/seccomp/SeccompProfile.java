package io.isolate.container.seccomp;

import io.isolate.InvalidSpecException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * The system call policy of an isolate: the default profile denies what container runtimes deny by default
 * (mounting, module loading, kexec, bpf, keyrings, perf, ptrace, reboot, swap, clock setting, new namespaces
 * from inside...), minus what the application allows, plus what it denies. Everything else up to the newest call
 * this profile knows is allowed.
 *
 * <p>Denied calls fail with EPERM; {@code clone} is denied only when it asks for a new namespace;
 * {@code clone3} fails with ENOSYS (its flags live in memory a filter cannot read, and libc then falls back to
 * {@code clone}); {@code ioctl(TIOCSTI)} (pushing input into a terminal) fails with EPERM. Another architecture
 * (i386, x32) kills the process.
 *
 * <p>A deny list lets through what it does not name, so three rules close it:
 * <ul>
 *   <li>a call numbered above the newest this profile knows ({@link SyscallTable#highest()}, Linux 6.18's
 *       {@code open_tree_attr}) fails with ENOSYS, as on an older kernel: a kernel upgrade cannot hand the workload
 *       a call nobody reviewed;
 *   <li>{@code socket} and {@code socketpair} work for the families a networked program needs, {@code AF_UNIX},
 *       {@code AF_INET}, {@code AF_INET6} and {@code AF_NETLINK} (routing and interface queries: {@code getifaddrs}),
 *       all of them confined to the isolate's network namespace; every other family fails with EAFNOSUPPORT, as on
 *       a kernel without it. Above all {@code AF_VSOCK}, which no network namespace confines (its ports are the
 *       host's, and on a cloud VM it reaches the hypervisor), and also packet, Bluetooth, CAN, crypto (AF_ALG) and
 *       the rest of the kernel's attack surface behind rarely used families. The same families under every
 *       network mode: under {@code NONE} an Internet socket reaches nothing, and programs expect to create one;
 *   <li>{@code personality} accepts only the personas container runtimes allow (Linux, UNAME26, their 32-bit
 *       variants, and the query 0xffffffff); ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC and the like fail with EPERM.
 * </ul>
 * Allowing {@code socket}, {@code socketpair} or {@code personality} by name lifts its rule.
 */
public final class SeccompProfile {
  /** The default deny list. */
  public static final Set<String> DEFAULT_DENIED = Collections.unmodifiableSet(new TreeSet<>(List.of(
      "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
      "finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms", "init_module", "io_uring_enter",
      "io_uring_register", "io_uring_setup", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl",
      "lookup_dcookie", "mount", "mount_setattr", "move_mount", "name_to_handle_at", "nfsservctl",
      "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev",
      "ptrace", "query_module", "quotactl", "quotactl_fd", "reboot", "request_key", "setdomainname", "sethostname",
      "setns", "settimeofday", "swapoff", "swapon", "syslog", "sysfs", "_sysctl", "umount2", "unshare", "uselib",
      "userfaultfd", "ustat", "vhangup", "fanotify_init", "lsm_set_self_attr",
      // newer calls a deny list written before them let through:
      "memfd_secret", // memory the kernel itself cannot read: no use to a workload, hides from inspection
      "pidfd_getfd", "process_madvise", // act on another process, as ptrace does, which is denied
      "open_tree_attr")));

  /** Address families {@code socket} and {@code socketpair} may create: see the class comment. */
  static final List<Integer> SOCKET_FAMILIES = List.of(1 /* AF_UNIX */, 2 /* AF_INET */, 10 /* AF_INET6 */,
      16 /* AF_NETLINK */);

  /** Personas {@code personality} may set: PER_LINUX, UNAME26, PER_LINUX32, both, and the query. */
  static final List<Integer> PERSONAS = List.of(0, 0x0008, 0x20000, 0x20008, 0xffffffff);

  static final int EAFNOSUPPORT = 97;

  static final int CLONE_NAMESPACE_FLAGS = 0x00020000 /* NEWNS */ | 0x02000000 /* NEWCGROUP */
      | 0x04000000 /* NEWUTS */ | 0x08000000 /* NEWIPC */ | 0x10000000 /* NEWUSER */ | 0x20000000 /* NEWPID */
      | 0x40000000 /* NEWNET */ | 0x00000080 /* NEWTIME */;

  private final Set<String> denied;
  private final boolean restrictClone;
  private final boolean restrictClone3;
  private final boolean restrictTiocsti;
  private final boolean restrictSocket;
  private final boolean restrictSocketpair;
  private final boolean restrictPersonality;

  private SeccompProfile(Set<String> denied, Set<String> allowed) {
    this.denied = Collections.unmodifiableSet(denied);
    this.restrictClone = !allowed.contains("clone") && !allowed.contains("unshare");
    this.restrictClone3 = !allowed.contains("clone3");
    this.restrictTiocsti = !allowed.contains("ioctl");
    this.restrictSocket = !allowed.contains("socket");
    this.restrictSocketpair = !allowed.contains("socketpair");
    this.restrictPersonality = !allowed.contains("personality");
  }

  /**
   * The default profile with the application's additions.
   *
   * @throws InvalidSpecException naming a system call that does not exist on x86-64, or one both allowed and
   *     denied
   */
  public static SeccompProfile of(Collection<String> allowed, Collection<String> deniedExtra) {
    for (String name : allowed) {
      check(name, "allowed");
      if (deniedExtra.contains(name)) {
        throw new InvalidSpecException("system call '" + name + "' is both allowed and denied");
      }
    }
    for (String name : deniedExtra) {
      check(name, "denied");
    }
    Set<String> denied = new TreeSet<>(DEFAULT_DENIED);
    denied.removeAll(allowed);
    denied.addAll(deniedExtra);
    denied.removeIf(n -> SyscallTable.number(n).isEmpty()); // names of other architectures (create_module...)
    return new SeccompProfile(denied, Set.copyOf(allowed));
  }

  private static void check(String name, String what) {
    OptionalInt nr = SyscallTable.number(name);
    if (nr.isEmpty() && !DEFAULT_DENIED.contains(name)) {
      throw new InvalidSpecException(what + " system call '" + name + "' does not exist on x86-64");
    }
  }

  /** The calls denied outright, by name. */
  public Set<String> denied() {
    return denied;
  }

  /** The profile as a classic BPF program for {@code seccomp(SECCOMP_SET_MODE_FILTER)}. */
  public byte[] toBpf() {
    Bpf p = new Bpf();
    p.load(Bpf.OFFSET_ARCH);
    p.jumpIfEqual(Bpf.AUDIT_ARCH_X86_64, 1, 0);
    p.ret(Bpf.RET_KILL_PROCESS);
    p.load(Bpf.OFFSET_NR);
    p.jumpIfGreaterOrEqual(0x40000000, 0, 1); // the x32 ABI
    p.ret(Bpf.RET_KILL_PROCESS);
    p.jumpIfGreaterOrEqual(SyscallTable.highest() + 1, 0, 1); // newer than this profile: as on an older kernel
    p.ret(Bpf.errno(Bpf.ENOSYS));
    List<Integer> numbers = new ArrayList<>();
    for (String name : denied) {
      numbers.add(SyscallTable.number(name).getAsInt());
    }
    Collections.sort(numbers);
    for (int nr : numbers) {
      p.jumpIfEqual(nr, 0, 1);
      p.ret(Bpf.errno(Bpf.EPERM));
    }
    if (restrictClone3) {
      p.jumpIfEqual(SyscallTable.number("clone3").getAsInt(), 0, 1);
      p.ret(Bpf.errno(Bpf.ENOSYS));
    }
    if (restrictTiocsti) {
      p.jumpIfEqual(SyscallTable.number("ioctl").getAsInt(), 0, 4);
      p.load(Bpf.offsetArgLow(1));
      p.jumpIfEqual(0x5412 /* TIOCSTI */, 0, 1);
      p.ret(Bpf.errno(Bpf.EPERM));
      p.ret(Bpf.RET_ALLOW);
    }
    if (restrictSocket) {
      onlyArgument0(p, "socket", SOCKET_FAMILIES, EAFNOSUPPORT);
    }
    if (restrictSocketpair) {
      onlyArgument0(p, "socketpair", SOCKET_FAMILIES, EAFNOSUPPORT);
    }
    if (restrictPersonality) {
      onlyArgument0(p, "personality", PERSONAS, Bpf.EPERM);
    }
    if (restrictClone) {
      p.jumpIfEqual(SyscallTable.number("clone").getAsInt(), 0, 3);
      p.load(Bpf.offsetArgLow(0));
      p.jumpIfAnySet(CLONE_NAMESPACE_FLAGS, 0, 1);
      p.ret(Bpf.errno(Bpf.EPERM));
    }
    p.ret(Bpf.RET_ALLOW);
    return p.toBytes();
  }

  /**
   * Lets call {@code name} through only when its first argument (its low 32 bits, an int in the C prototype) is one
   * of {@code values}; otherwise it fails with {@code errno}. Leaves the call number in the accumulator for the
   * checks that follow.
   */
  private static void onlyArgument0(Bpf p, String name, List<Integer> values, int errno) {
    int n = values.size();
    p.jumpIfEqual(SyscallTable.number(name).getAsInt(), 0, n + 3); // another call: skip this block
    p.load(Bpf.offsetArgLow(0));
    for (int i = 0; i < n; i++) {
      p.jumpIfEqual(values.get(i), n - i, 0); // to the ALLOW below
    }
    p.ret(Bpf.errno(errno));
    p.ret(Bpf.RET_ALLOW);
  }

  @Override
  public String toString() {
    return "SeccompProfile{denied=" + denied + "}";
  }
}
