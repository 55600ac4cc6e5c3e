package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;
import io.isolate.vm.vstate.Vcpu;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Signal dispositions, the signal mask and the alternate stack, and the delivery of the signals a single-threaded
 * program can get here: the synchronous ones its faults raise (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) and the
 * ones it sends itself (raise, abort). Delivery builds Linux's x86-64 {@code rt_sigframe} on the user stack (or the
 * alternate stack) and enters the handler; rt_sigreturn restores the interrupted context from it. A signal that is
 * blocked or has no handler takes its default action: the run ends.
 */
final class Signals {
  static final long SA_SIGINFO = 4, SA_ONSTACK = 0x08000000L, SA_RESTORER = 0x04000000L, SA_NODEFER = 0x40000000L,
      SA_RESETHAND = 0x80000000L;
  static final int SS_ONSTACK = 1, SS_DISABLE = 2;
  /** uc_flags (8), uc_link (8), uc_stack (24), uc_mcontext = struct sigcontext (256), uc_sigmask (8). */
  static final int UCONTEXT_SIZE = 304;
  static final int MCONTEXT = 40;
  static final int SIGINFO_SIZE = 128;
  private static final long UNBLOCKABLE = (1L << 8) | (1L << 18); // SIGKILL, SIGSTOP (bit = signal - 1)
  // struct sigcontext order: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags (kvm_regs indexes)
  private static final int[] SIGCONTEXT_ORDER = {Vcpu.R8, Vcpu.R9, Vcpu.R10, Vcpu.R11, Vcpu.R12, Vcpu.R13,
      Vcpu.R14, Vcpu.R15, Vcpu.RDI, Vcpu.RSI, Vcpu.RBP, Vcpu.RBX, Vcpu.RDX, Vcpu.RAX, Vcpu.RCX, Vcpu.RSP, Vcpu.RIP,
      Vcpu.RFLAGS};

  private final UserMemory um;
  private final Vcpu vcpu;
  /** Each signal's {@code struct kernel_sigaction} (handler, flags, restorer, mask), or null for SIG_DFL. */
  private final byte[][] actions = new byte[65][];
  private long blocked;
  private long pending;
  private long altSp;
  private long altSize;
  private int altFlags = SS_DISABLE;
  private final Deque<byte[]> savedFpu = new ArrayDeque<>();

  Signals(UserMemory um, Vcpu vcpu) {
    this.um = um;
    this.vcpu = vcpu;
  }

  long sigaction(int signal, long act, long oldact, long sigsetsize) {
    if (sigsetsize != 8 || signal < 1 || signal > 64) {
      return -Errno.EINVAL;
    }
    byte[] next = act != 0 ? um.read(act, 32) : null;
    if (next != null && (signal == 9 || signal == 19)) {
      return -Errno.EINVAL; // SIGKILL and SIGSTOP cannot be caught or ignored
    }
    if (oldact != 0) {
      um.write(oldact, actions[signal] != null ? actions[signal] : new byte[32]);
    }
    if (next != null) {
      actions[signal] = handlerOf(next) == 0 ? null : next;
    }
    return 0;
  }

  long sigprocmask(int how, long set, long oldset, long sigsetsize) {
    if (sigsetsize != 8) {
      return -Errno.EINVAL;
    }
    long next = set != 0 ? um.readLong(set) : 0;
    if (oldset != 0) {
      um.writeLong(oldset, blocked);
    }
    if (set != 0) {
      switch (how) {
        case 0 -> blocked |= next; // SIG_BLOCK
        case 1 -> blocked &= ~next; // SIG_UNBLOCK
        case 2 -> blocked = next; // SIG_SETMASK
        default -> {
          return -Errno.EINVAL;
        }
      }
      blocked &= ~UNBLOCKABLE;
    }
    return 0;
  }

  long sigaltstack(long ss, long oldss) {
    if (oldss != 0) {
      ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
      b.putLong(0, altSp).putInt(8, altFlags).putLong(16, altSize);
      um.write(oldss, b.array());
    }
    if (ss != 0) {
      ByteBuffer b = ByteBuffer.wrap(um.read(ss, 24)).order(ByteOrder.LITTLE_ENDIAN);
      int flags = b.getInt(8);
      if ((flags & ~SS_DISABLE) != 0 && flags != SS_ONSTACK) {
        return -Errno.EINVAL;
      }
      if ((flags & SS_DISABLE) != 0) {
        altFlags = SS_DISABLE;
        altSp = 0;
        altSize = 0;
      } else {
        long size = b.getLong(16);
        if (size < 2048) {
          return -Errno.ENOMEM;
        }
        altSp = b.getLong(0);
        altSize = size;
        altFlags = 0;
      }
    }
    return 0;
  }

  /** Whether {@code signal} is blocked now. */
  boolean isBlocked(int signal) {
    return ((blocked >>> (signal - 1)) & 1) != 0;
  }

  /** Keeps a self-sent signal that is blocked until the program unblocks it. */
  void markPending(int signal) {
    pending |= 1L << (signal - 1);
  }

  /** A pending signal that is no longer blocked (and forgets it), or 0. */
  int takeDeliverable() {
    long ready = pending & ~blocked;
    if (ready == 0) {
      return 0;
    }
    int signal = Long.numberOfTrailingZeros(ready) + 1;
    pending &= ~(1L << (signal - 1));
    return handler(signal) == 1 ? takeDeliverable() : signal;
  }

  /** The handler address of {@code signal}: 0 for SIG_DFL, 1 for SIG_IGN. */
  long handler(int signal) {
    return actions[signal] == null ? 0 : handlerOf(actions[signal]);
  }

  private static long handlerOf(byte[] action) {
    return ByteBuffer.wrap(action).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
  }

  /**
   * Enters the handler of {@code signal} for a program whose registers are {@code regs} (kvm_regs order, with the
   * user rip, rsp and rflags), or returns null when the signal must take its default action instead: no handler,
   * ignored or blocked (as Linux forces a synchronous fault), or no room for the frame.
   */
  long[] deliver(int signal, int code, long addr, long[] regs, int trapno, long err) {
    long h = handler(signal);
    if (h == 0 || h == 1 || ((blocked >>> (signal - 1)) & 1) != 0) {
      return null;
    }
    ByteBuffer action = ByteBuffer.wrap(actions[signal]).order(ByteOrder.LITTLE_ENDIAN);
    long flags = action.getLong(8);
    long restorer = action.getLong(16);
    long mask = action.getLong(24);
    long sp = regs[Vcpu.RSP];
    boolean onAlt = altFlags == 0 && sp > altSp && sp <= altSp + altSize;
    if ((flags & SA_ONSTACK) != 0 && altFlags == 0 && !onAlt) {
      sp = altSp + altSize;
    } else {
      sp -= 128; // the red zone below the interrupted code's stack pointer stays untouched
    }
    long frame = ((sp - 8 - UCONTEXT_SIZE - SIGINFO_SIZE) & ~15L) - 8; // as after a call: (rsp + 8) % 16 == 0
    long uc = frame + 8;
    long info = uc + UCONTEXT_SIZE;
    ByteBuffer b = ByteBuffer.allocate(8 + UCONTEXT_SIZE + SIGINFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, (flags & SA_RESTORER) != 0 ? restorer : 0);
    b.putLong(8 + 16, altSp).putInt(8 + 24, altFlags | (onAlt ? SS_ONSTACK : 0)).putLong(8 + 32, altSize);
    for (int i = 0; i < SIGCONTEXT_ORDER.length; i++) {
      b.putLong(8 + MCONTEXT + 8 * i, regs[SIGCONTEXT_ORDER[i]]);
    }
    int after = 8 + MCONTEXT + 8 * SIGCONTEXT_ORDER.length;
    b.putShort(after, (short) 0x33).putShort(after + 6, (short) 0x2b); // cs, gs, fs, ss
    b.putLong(after + 8, err).putLong(after + 16, trapno).putLong(after + 24, blocked)
        .putLong(after + 32, signal == 11 || signal == 7 ? addr : 0); // err, trapno, oldmask, cr2
    b.putLong(8 + MCONTEXT + 256, blocked); // uc_sigmask
    b.putInt(8 + UCONTEXT_SIZE, signal).putInt(8 + UCONTEXT_SIZE + 8, code)
        .putLong(8 + UCONTEXT_SIZE + 16, addr); // si_signo, si_code, si_addr (or si_pid for SI_USER)
    try {
      um.write(frame, b.array());
    } catch (LinuxError e) {
      return null; // no room on the stack (a stack overflow): Linux kills the program too
    }
    byte[] fpu;
    try {
      fpu = vcpu.getFpu();
    } catch (RuntimeException e) {
      fpu = null;
    }
    savedFpu.push(fpu == null ? new byte[0] : fpu);
    blocked |= mask | ((flags & SA_NODEFER) != 0 ? 0 : 1L << (signal - 1));
    blocked &= ~UNBLOCKABLE;
    if ((flags & SA_RESETHAND) != 0) {
      actions[signal] = null;
    }
    long[] next = regs.clone();
    next[Vcpu.RIP] = h;
    next[Vcpu.RSP] = frame;
    next[Vcpu.RDI] = signal;
    next[Vcpu.RSI] = info;
    next[Vcpu.RDX] = uc;
    next[Vcpu.RAX] = 0;
    next[Vcpu.RFLAGS] = regs[Vcpu.RFLAGS] & ~(0x100L | 0x400L | 0x10000L); // TF, DF, RF cleared
    return next;
  }

  /**
   * rt_sigreturn: the registers saved in the frame at {@code userRsp} (the restorer's stack pointer, just above
   * the return address the handler popped), or null when the frame cannot be read.
   */
  long[] sigreturn(long userRsp) {
    byte[] raw;
    try {
      raw = um.read(userRsp, UCONTEXT_SIZE);
    } catch (LinuxError e) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    long[] regs = new long[18];
    for (int i = 0; i < SIGCONTEXT_ORDER.length; i++) {
      regs[SIGCONTEXT_ORDER[i]] = b.getLong(MCONTEXT + 8 * i);
    }
    blocked = b.getLong(MCONTEXT + 256) & ~UNBLOCKABLE;
    byte[] fpu = savedFpu.isEmpty() ? null : savedFpu.pop();
    if (fpu != null && fpu.length == 416) {
      try {
        vcpu.setFpu(fpu);
      } catch (RuntimeException e) {
        // the handler's FPU state stays: no worse than a handler that clobbers it on purpose
      }
    }
    return regs;
  }
}
