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
 * from inside...), minus what the application allows, plus what it denies. Everything else is allowed.
 *
 * <p>Denied calls fail with EPERM; {@code clone} is denied only when it asks for a new namespace;
 * {@code clone3} fails with ENOSYS (its flags live in memory a filter cannot read, and libc then falls back to
 * {@code clone}); {@code ioctl(TIOCSTI)} (pushing input into a terminal) fails with EPERM. Another architecture
 * (i386, x32) kills the process.
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
      "userfaultfd", "ustat", "vhangup", "fanotify_init", "lsm_set_self_attr")));

  static final int CLONE_NAMESPACE_FLAGS = 0x00020000 /* NEWNS */ | 0x02000000 /* NEWCGROUP */
      | 0x04000000 /* NEWUTS */ | 0x08000000 /* NEWIPC */ | 0x10000000 /* NEWUSER */ | 0x20000000 /* NEWPID */
      | 0x40000000 /* NEWNET */ | 0x00000080 /* NEWTIME */;

  private final Set<String> denied;
  private final boolean restrictClone;
  private final boolean restrictClone3;
  private final boolean restrictTiocsti;

  private SeccompProfile(Set<String> denied, boolean restrictClone, boolean restrictClone3, boolean restrictTiocsti) {
    this.denied = Collections.unmodifiableSet(denied);
    this.restrictClone = restrictClone;
    this.restrictClone3 = restrictClone3;
    this.restrictTiocsti = restrictTiocsti;
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
    boolean clone = !allowed.contains("clone") && !allowed.contains("unshare");
    boolean clone3 = !allowed.contains("clone3");
    boolean tiocsti = !allowed.contains("ioctl");
    return new SeccompProfile(denied, clone, clone3, tiocsti);
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
    if (restrictClone) {
      p.jumpIfEqual(SyscallTable.number("clone").getAsInt(), 0, 3);
      p.load(Bpf.offsetArgLow(0));
      p.jumpIfAnySet(CLONE_NAMESPACE_FLAGS, 0, 1);
      p.ret(Bpf.errno(Bpf.EPERM));
    }
    p.ret(Bpf.RET_ALLOW);
    return p.toBytes();
  }

  @Override
  public String toString() {
    return "SeccompProfile{denied=" + denied + "}";
  }
}
