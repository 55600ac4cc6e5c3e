package io.isolate.container.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.InvalidSpecException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default profile, run through a small classic-BPF interpreter that mirrors the kernel's. */
class SeccompProfileTest {
  private static final int X86_64 = 0xC000003E;
  private static final int I386 = 0x40000003;
  private static final int ALLOW = 0x7fff0000;
  private static final int EPERM = 0x00050001;
  private static final int ENOSYS = 0x00050026;
  private static final int KILL = 0x80000000;

  /** Runs the filter on {arch, nr, args} the way the kernel does. */
  static int run(byte[] program, int arch, int nr, long... args) {
    ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    data.putInt(0, nr).putInt(4, arch);
    for (int i = 0; i < args.length; i++) {
      data.putLong(16 + 8 * i, args[i]);
    }
    ByteBuffer p = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
    int a = 0;
    int pc = 0;
    for (int steps = 0; steps < 10_000; steps++) {
      int code = p.getShort(pc * 8) & 0xffff;
      int jt = p.get(pc * 8 + 2) & 0xff;
      int jf = p.get(pc * 8 + 3) & 0xff;
      int k = p.getInt(pc * 8 + 4);
      switch (code) {
        case 0x20 -> { a = data.getInt(k); pc++; }
        case 0x15 -> pc += 1 + (a == k ? jt : jf);
        case 0x35 -> pc += 1 + (Integer.compareUnsigned(a, k) >= 0 ? jt : jf);
        case 0x45 -> pc += 1 + ((a & k) != 0 ? jt : jf);
        case 0x06 -> {
          return k;
        }
        default -> throw new AssertionError("unknown opcode " + code);
      }
    }
    throw new AssertionError("no return");
  }

  private static int nr(String name) {
    return SyscallTable.number(name).getAsInt();
  }

  private final byte[] defaults = SeccompProfile.of(List.of(), List.of()).toBpf();

  @Test
  void ordinaryCallsAreAllowed() {
    for (String name : List.of("read", "write", "openat", "execve", "mmap", "futex", "getpid", "prlimit64",
        "setrlimit")) {
      assertEquals(ALLOW, run(defaults, X86_64, nr(name)), name);
    }
  }

  @Test
  void dangerousCallsFailWithEperm() {
    for (String name : List.of("mount", "umount2", "pivot_root", "ptrace", "kexec_load", "bpf", "keyctl", "add_key",
        "perf_event_open", "init_module", "finit_module", "reboot", "swapon", "unshare", "setns", "open_by_handle_at",
        "io_uring_setup")) {
      assertEquals(EPERM, run(defaults, X86_64, nr(name)), name);
    }
  }

  @Test
  void cloneIsDeniedOnlyWithNamespaceFlags() {
    assertEquals(ALLOW, run(defaults, X86_64, nr("clone"), 0x01200011L /* fork-like */));
    assertEquals(ALLOW, run(defaults, X86_64, nr("clone"), 0x003d0f00L /* pthread_create */));
    assertEquals(EPERM, run(defaults, X86_64, nr("clone"), 0x10000000L | 17 /* CLONE_NEWUSER */));
    assertEquals(EPERM, run(defaults, X86_64, nr("clone"), 0x20000000L /* CLONE_NEWPID */));
    assertEquals(ENOSYS, run(defaults, X86_64, nr("clone3")));
  }

  @Test
  void tiocstiIsDeniedButOtherIoctlsAreNot() {
    assertEquals(EPERM, run(defaults, X86_64, nr("ioctl"), 0, 0x5412));
    assertEquals(ALLOW, run(defaults, X86_64, nr("ioctl"), 0, 0x5401 /* TCGETS */));
  }

  @Test
  void socketsOnlyOfTheFamiliesANetworkedProgramNeeds() {
    int eafnosupport = 0x00050000 | 97;
    for (long family : List.of(1L /* UNIX */, 2L /* INET */, 10L /* INET6 */, 16L /* NETLINK */)) {
      assertEquals(ALLOW, run(defaults, X86_64, nr("socket"), family, 1), "socket family " + family);
      assertEquals(ALLOW, run(defaults, X86_64, nr("socketpair"), family, 1), "socketpair family " + family);
    }
    for (long family : List.of(0L, 17L /* PACKET */, 31L /* BLUETOOTH */, 38L /* ALG */, 40L /* VSOCK */, 29L,
        0xffffffffL)) {
      assertEquals(eafnosupport, run(defaults, X86_64, nr("socket"), family, 1), "socket family " + family);
      assertEquals(eafnosupport, run(defaults, X86_64, nr("socketpair"), family, 1), "socketpair family " + family);
    }
    assertEquals(ALLOW, run(defaults, X86_64, nr("socket"), 0xdead_0000_0002L, 1), "the kernel reads an int");
    byte[] allowed = SeccompProfile.of(List.of("socket"), List.of()).toBpf();
    assertEquals(ALLOW, run(allowed, X86_64, nr("socket"), 40, 1), "allowing socket by name lifts the rule");
  }

  @Test
  void personalityOnlyForTheUsualPersonas() {
    assertEquals(ALLOW, run(defaults, X86_64, nr("personality"), 0));
    assertEquals(ALLOW, run(defaults, X86_64, nr("personality"), 0xffffffffL));
    assertEquals(EPERM, run(defaults, X86_64, nr("personality"), 0x0040000L /* ADDR_NO_RANDOMIZE */));
    assertEquals(EPERM, run(defaults, X86_64, nr("personality"), 0x0400000L /* READ_IMPLIES_EXEC */));
  }

  @Test
  void callsNewerThanTheProfileFailAsOnAnOlderKernel() {
    assertEquals(ENOSYS, run(defaults, X86_64, SyscallTable.highest() + 1));
    assertEquals(ENOSYS, run(defaults, X86_64, 0x3fffffff));
    for (String name : List.of("memfd_secret", "pidfd_getfd", "process_madvise", "open_tree_attr",
        "lsm_set_self_attr")) {
      assertEquals(EPERM, run(defaults, X86_64, nr(name)), name);
    }
    assertEquals(ALLOW, run(defaults, X86_64, nr("fchmodat2")));
  }

  @Test
  void otherArchitecturesAndX32AreKilled() {
    assertEquals(KILL, run(defaults, I386, 1));
    assertEquals(KILL, run(defaults, X86_64, 0x40000000 | 1));
  }

  @Test
  void applicationAdditionsAllowAndDeny() {
    byte[] p = SeccompProfile.of(List.of("ptrace"), List.of("socket")).toBpf();
    assertEquals(ALLOW, run(p, X86_64, nr("ptrace")));
    assertEquals(EPERM, run(p, X86_64, nr("socket")));
    assertEquals(EPERM, run(p, X86_64, nr("mount")));
  }

  @Test
  void unknownOrContradictoryNamesAreRejectedWithTheName() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> SeccompProfile.of(List.of(), List.of("no_such_call")));
    assertTrue(e.getMessage().contains("no_such_call"), e.getMessage());
    assertThrows(InvalidSpecException.class, () -> SeccompProfile.of(List.of("mount"), List.of("mount")));
  }
}
