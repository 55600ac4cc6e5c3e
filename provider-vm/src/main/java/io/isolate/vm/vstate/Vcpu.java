package io.isolate.vm.vstate;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.isolate.vm.kvm.Errno;
import io.isolate.vm.kvm.Kvm;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.kvm.LibC;

/**
 * A vCPU: its file descriptor, its mapped {@code kvm_run} and its registers. General registers live in
 * {@code kvm_run} itself when the host has KVM_CAP_SYNC_REGS (no ioctl per exit); otherwise they are fetched and
 * stored with KVM_GET_REGS / KVM_SET_REGS around each run.
 *
 * <p>{@link #kick()} stops a guest that spins without exits: it sets {@code immediate_exit} and sends a real-time
 * signal to the thread in KVM_RUN, whose handler is a native function that does nothing harmful, so that no
 * Java code ever runs in a signal handler.
 */
public final class Vcpu implements AutoCloseable {
  // general-register indexes in struct kvm_regs
  public static final int RAX = 0, RBX = 1, RCX = 2, RDX = 3, RSI = 4, RDI = 5, RSP = 6, RBP = 7, R8 = 8, R9 = 9,
      R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15, RIP = 16, RFLAGS = 17;

  private static final int SA_RESTART = 0x10000000;
  private static final int KICK_SIGNAL = installKickHandler();

  private final int fd;
  private final Pointer run;
  private final long runSize;
  private final boolean syncRegs;
  private final CoalescedMmioRing coalescedMmio;
  private final Pointer regs;
  private boolean regsDirty;
  private volatile int tid;
  private volatile boolean inRun;
  private boolean closed;

  private Vcpu(int fd, Pointer run, long runSize, boolean syncRegs, int coalescedMmioPage) {
    this.fd = fd;
    this.run = run;
    this.runSize = runSize;
    this.syncRegs = syncRegs;
    this.coalescedMmio = coalescedMmioPage > 0
        ? new CoalescedMmioRing(run.share(coalescedMmioPage * 4096L, 4096)) : null;
    this.regs = syncRegs ? run.share(Kvm.Run.SYNC_REGS, 144) : new Memory(144);
    if (syncRegs) {
      run.setLong(Kvm.Run.KVM_VALID_REGS, Kvm.KVM_SYNC_X86_REGS);
    }
  }

  static Vcpu create(KvmDevice kvm, int vmFd, int id) {
    int fd;
    try {
      fd = LibC.ioctl(vmFd, Kvm.KVM_CREATE_VCPU, (long) id);
    } catch (LastErrorException e) {
      throw new KvmException("KVM_CREATE_VCPU(" + id + ")", e.getErrorCode());
    }
    long size = kvm.vcpuMmapSize();
    try {
      Pointer run = LibC.mmap(null, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
      return new Vcpu(fd, run, size, kvm.hasSyncRegs(), kvm.coalescedMmioPage());
    } catch (LastErrorException e) {
      LibC.close(fd);
      throw new KvmException("mmap(kvm_run of vCPU " + id + ", " + size + " bytes)", e.getErrorCode());
    }
  }

  /** The size of the kvm_run mapping, including the I/O data pages after {@code struct kvm_run}. */
  public long runSize() {
    return runSize;
  }

  /**
   * The ring of MMIO writes the kernel buffered for zones registered with {@link Vm#coalesceMmio}, or null when
   * the host has no coalesced MMIO. The VMM drains it before handling each exit.
   */
  public CoalescedMmioRing coalescedMmio() {
    return coalescedMmio;
  }

  /** The kvm_run area shared with the kernel, for reading exit details at {@link Kvm.Run} offsets. */
  public Pointer runArea() {
    return run;
  }

  /**
   * Runs the guest until its next exit and returns the exit reason; {@link Kvm#KVM_EXIT_INTR} when a signal
   * (a {@link #kick()}) interrupted the run.
   */
  public int run() {
    if (regsDirty) {
      if (syncRegs) {
        run.setLong(Kvm.Run.KVM_DIRTY_REGS, run.getLong(Kvm.Run.KVM_DIRTY_REGS) | Kvm.KVM_SYNC_X86_REGS);
      } else {
        ioctl(Kvm.KVM_SET_REGS, regs, "KVM_SET_REGS");
      }
      regsDirty = false;
    }
    if (tid == 0) {
      tid = LibC.gettid();
    }
    int reason;
    inRun = true;
    try {
      LibC.ioctl(fd, Kvm.KVM_RUN, 0L);
      reason = run.getInt(Kvm.Run.EXIT_REASON);
    } catch (LastErrorException e) {
      if (e.getErrorCode() != Errno.EINTR && e.getErrorCode() != Errno.EAGAIN) {
        throw new KvmException("KVM_RUN", e.getErrorCode());
      }
      reason = Kvm.KVM_EXIT_INTR;
    } finally {
      inRun = false;
    }
    if (!syncRegs) {
      ioctl(Kvm.KVM_GET_REGS, regs, "KVM_GET_REGS");
    }
    return reason;
  }

  /** General register {@code index} ({@link #RAX} … {@link #RFLAGS}) as of the last exit. */
  public long reg(int index) {
    return regs.getLong(index * 8L);
  }

  /** Sets general register {@code index} for the next {@link #run()}. */
  public void setReg(int index, long value) {
    regs.setLong(index * 8L, value);
    regsDirty = true;
  }

  /** Sets every general register at once (rax … r15, rip, rflags). */
  public void setRegs(long[] values) {
    regs.write(0, values, 0, 18);
    regsDirty = true;
  }

  /** The guest's time-stamp counter frequency in kHz (KVM_GET_TSC_KHZ), or 0 when the host does not say. */
  public long tscKhz() {
    try {
      return Math.max(0, LibC.ioctl(fd, Kvm.KVM_GET_TSC_KHZ, 0L));
    } catch (LastErrorException e) {
      return 0;
    }
  }

  /** Reads the special registers (segments, descriptor tables, control registers) with KVM_GET_SREGS. */
  public Kvm.KvmSregs getSregs() {
    Kvm.KvmSregs s = new Kvm.KvmSregs();
    ioctl(Kvm.KVM_GET_SREGS, s.getPointer(), "KVM_GET_SREGS");
    s.read();
    return s;
  }

  /** Writes the special registers with KVM_SET_SREGS (which also reloads CR3, flushing the guest TLB). */
  public void setSregs(Kvm.KvmSregs s) {
    s.write();
    ioctl(Kvm.KVM_SET_SREGS, s.getPointer(), "KVM_SET_SREGS");
  }

  /** The FPU and SSE state ({@code struct kvm_fpu}, 416 bytes) with KVM_GET_FPU. */
  public byte[] getFpu() {
    Memory m = new Memory(416);
    ioctl(Kvm.KVM_GET_FPU, m, "KVM_GET_FPU");
    return m.getByteArray(0, 416);
  }

  /** Restores what {@link #getFpu()} returned, with KVM_SET_FPU. */
  public void setFpu(byte[] fpu) {
    Memory m = new Memory(416);
    m.write(0, fpu, 0, 416);
    ioctl(Kvm.KVM_SET_FPU, m, "KVM_SET_FPU");
  }

  /** Sets the special registers from a raw {@code struct kvm_sregs} image (312 bytes), with no reflection. */
  public void setSregs(byte[] image) {
    Pointer m = sregsBuffer();
    m.write(0, image, 0, image.length);
    ioctl(Kvm.KVM_SET_SREGS, m, "KVM_SET_SREGS");
  }

  /** Offsets in the raw {@code struct kvm_sregs}: the base of FS and GS, CR2. */
  public static final int SREGS_FS_BASE = 3 * 24, SREGS_GS_BASE = 4 * 24, SREGS_CR2 = 8 * 24 + 2 * 16 + 8;
  private static final int SREGS_SIZE = 312;
  private Memory sregs;

  private Pointer sregsBuffer() {
    if (sregs == null) {
      sregs = new Memory(SREGS_SIZE);
    }
    return sregs;
  }

  /**
   * Reads the special registers with KVM_GET_SREGS into this vCPU's raw {@code struct kvm_sregs} buffer (no
   * Structure, no reflection) and returns it; valid until the next raw call. Only the vCPU thread calls it.
   */
  public Pointer readSregsRaw() {
    Pointer m = sregsBuffer();
    ioctl(Kvm.KVM_GET_SREGS, m, "KVM_GET_SREGS");
    return m;
  }

  /** Writes back the buffer of {@link #readSregsRaw()} with KVM_SET_SREGS (which reloads CR3). */
  public void writeSregsRaw() {
    ioctl(Kvm.KVM_SET_SREGS, sregsBuffer(), "KVM_SET_SREGS");
  }

  /** Sets CPUID from a raw {@code struct kvm_cpuid2} with its entries, as built once per JVM. */
  public void setCpuid(Pointer cpuid2) {
    try {
      LibC.ioctl(fd, Kvm.KVM_SET_CPUID2, cpuid2);
    } catch (LastErrorException e) {
      throw new KvmException("KVM_SET_CPUID2(" + cpuid2.getInt(0) + " entries)", e.getErrorCode());
    }
  }

  /** Writes model-specific registers: {@code indexes[i]} gets {@code values[i]}. */
  public void setMsrs(int[] indexes, long[] values) {
    Memory m = new Memory(8 + 16L * indexes.length);
    m.clear();
    m.setInt(0, indexes.length);
    for (int i = 0; i < indexes.length; i++) {
      m.setInt(8 + 16L * i, indexes[i]);
      m.setLong(8 + 16L * i + 8, values[i]);
    }
    int set;
    try {
      set = LibC.ioctl(fd, Kvm.KVM_SET_MSRS, m);
    } catch (LastErrorException e) {
      throw new KvmException("KVM_SET_MSRS(" + indexes.length + " MSRs)", e.getErrorCode());
    }
    if (set != indexes.length) {
      throw new KvmException(String.format("KVM_SET_MSRS set %d of %d MSRs; MSR 0x%x was refused", set,
          indexes.length, indexes[set]));
    }
  }

  /** Sets the CPUID the guest sees with KVM_SET_CPUID2. */
  public void setCpuid(Kvm.KvmCpuidEntry2[] entries) {
    int entrySize = new Kvm.KvmCpuidEntry2().size();
    Memory m = new Memory(8 + (long) entries.length * entrySize);
    m.clear();
    m.setInt(0, entries.length);
    for (int i = 0; i < entries.length; i++) {
      entries[i].write();
      m.write(8 + (long) i * entrySize, entries[i].getPointer().getByteArray(0, entrySize), 0, entrySize);
    }
    try {
      LibC.ioctl(fd, Kvm.KVM_SET_CPUID2, m);
    } catch (LastErrorException e) {
      throw new KvmException("KVM_SET_CPUID2(" + entries.length + " entries)", e.getErrorCode());
    }
  }

  /**
   * Makes the current or next {@link #run()} return {@link Kvm#KVM_EXIT_INTR} soon. Safe from any thread; the
   * vCPU thread must call {@link #clearKick()} before running the guest again.
   */
  public synchronized void kick() {
    if (closed) {
      return; // kvm_run is unmapped: the run this kick was meant for is over
    }
    run.setByte(Kvm.Run.IMMEDIATE_EXIT, (byte) 1);
    int t = tid;
    if (t != 0 && inRun) {
      try {
        LibC.tgkill(LibC.getpid(), t, KICK_SIGNAL);
      } catch (LastErrorException e) {
        // the thread has gone: nothing left to interrupt
      }
    }
  }

  /** Whether a {@link #kick()} is pending. */
  public boolean isKicked() {
    return run.getByte(Kvm.Run.IMMEDIATE_EXIT) != 0;
  }

  /** Clears {@code immediate_exit} after a kick has been handled; only the vCPU thread calls it. */
  public void clearKick() {
    run.setByte(Kvm.Run.IMMEDIATE_EXIT, (byte) 0);
  }

  private void ioctl(long request, Pointer arg, String call) {
    try {
      LibC.ioctl(fd, request, arg);
    } catch (LastErrorException e) {
      throw new KvmException(call, e.getErrorCode());
    }
  }

  /** Installs, once per JVM, a do-nothing native handler for the kick signal and returns the signal number. */
  private static int installKickHandler() {
    int signal = LibC.__libc_current_sigrtmin() + 6;
    // getpid ignores its argument, touches no memory and is async-signal-safe: a native no-op handler.
    Pointer handler = NativeLibrary.getInstance("c").getFunction("getpid");
    Memory act = new Memory(LibC.SIZEOF_SIGACTION);
    act.clear();
    act.setPointer(0, handler);
    // SA_RESTART: KVM_RUN still returns EINTR (KVM answers -EINTR, which is never restarted), while any other
    // thread of the JVM that a late kick reaches has its interrupted system call restarted instead of failing.
    act.setInt(LibC.SIGACTION_FLAGS_OFFSET, SA_RESTART);
    try {
      LibC.sigaction(signal, act, null);
    } catch (LastErrorException e) {
      throw new KvmException("sigaction(SIGRTMIN+6)", e.getErrorCode());
    }
    return signal;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      LibC.munmap(run, runSize);
    } finally {
      LibC.close(fd);
    }
  }
}
