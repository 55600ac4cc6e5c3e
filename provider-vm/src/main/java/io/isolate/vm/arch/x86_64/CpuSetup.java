package io.isolate.vm.arch.x86_64;

import io.isolate.vm.kvm.Kvm;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.vstate.Vcpu;

/**
 * Puts a vCPU in 64-bit long mode at CPL 3, ready to start a program at its entry point: segments from the
 * {@link Supervisor}'s GDT, paging on with the given root, system calls routed to the supervisor's stub, and the
 * host's supported CPUID.
 */
public final class CpuSetup {
  static final long CR0_PE = 1, CR0_MP = 2, CR0_ET = 0x10, CR0_NE = 0x20, CR0_WP = 1 << 16, CR0_PG = 1L << 31;
  static final long CR4_PAE = 1 << 5, CR4_OSFXSR = 1 << 9, CR4_OSXMMEXCPT = 1 << 10;
  static final long EFER_SCE = 1, EFER_LME = 1 << 8, EFER_LMA = 1 << 10, EFER_NXE = 1 << 11;

  public static final int MSR_STAR = 0xC0000081;
  public static final int MSR_LSTAR = 0xC0000082;
  public static final int MSR_CSTAR = 0xC0000083;
  public static final int MSR_SFMASK = 0xC0000084;
  public static final int MSR_FS_BASE = 0xC0000100;
  public static final int MSR_GS_BASE = 0xC0000101;
  public static final int MSR_KERNEL_GS_BASE = 0xC0000102;

  /** RFLAGS bits a program may keep across a system call: CF PF AF ZF SF TF DF OF AC ID. */
  public static final long USER_RFLAGS_MASK = 0x240DD5L;
  /** RFLAGS at program start and always forced on return to user mode: IF and the reserved bit 1. */
  public static final long RFLAGS_BASE = 0x202L;
  /** RFLAGS bits SYSCALL clears: TF, IF, DF, IOPL, NT, AC. */
  static final long SFMASK = 0x100 | 0x200 | 0x400 | 0x3000 | 0x4000 | 0x40000;

  private CpuSetup() {}

  /**
   * Configures special registers, MSRs and CPUID for a start at {@link Supervisor#START_STUB} in supervisor mode;
   * general registers and the start frame are the caller's ({@link #startRegisters}).
   */
  public static void configure(KvmDevice kvm, Vcpu vcpu, long cr3) {
    configureCpuidAndMsrs(kvm, vcpu);
    configureSregs(kvm, vcpu, cr3);
  }

  /**
   * The part of {@link #configure} that does not depend on the program: CPUID and the system-call MSRs. A VM pool
   * does it ahead of time; {@link #configureSregs} completes the set-up.
   */
  public static void configureCpuidAndMsrs(KvmDevice kvm, Vcpu vcpu) {
    Template t = template(kvm, vcpu);
    vcpu.setCpuid(t.cpuid);
    vcpu.setMsrs(MSR_INDEXES, MSR_VALUES);
  }

  /** The special registers of {@link #configure}, with paging rooted at {@code cr3}. */
  public static void configureSregs(KvmDevice kvm, Vcpu vcpu, long cr3) {
    Template t = template(kvm, vcpu);
    byte[] sregs = t.sregs.clone();
    for (int i = 0; i < 8; i++) {
      sregs[SREGS_CR3 + i] = (byte) (cr3 >>> (8 * i));
    }
    vcpu.setSregs(sregs);
  }

  private static final int SREGS_CR3 = 8 * 24 + 2 * 16 + 2 * 8; // after 8 segments, gdt, idt, cr0, cr2
  private static final int[] MSR_INDEXES =
      {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE};
  private static final long[] MSR_VALUES =
      {((long) (Supervisor.USER_DS - 8) << 48) | ((long) Supervisor.KERNEL_CS << 32), Supervisor.SYSCALL_STUB,
          Supervisor.SYSCALL_STUB, SFMASK, 0, 0, 0};

  /** The CPUID table and special registers every vCPU starts with, built once per JVM from the first vCPU. */
  private record Template(com.sun.jna.Memory cpuid, byte[] sregs) {}

  private static volatile Template template;

  private static Template template(KvmDevice kvm, Vcpu vcpu) {
    Template t = template;
    if (t != null) {
      return t;
    }
    synchronized (CpuSetup.class) {
      if (template != null) {
        return template;
      }
      Kvm.KvmCpuidEntry2[] entries = kvm.supportedCpuid();
      int entrySize = new Kvm.KvmCpuidEntry2().size();
      com.sun.jna.Memory cpuid = new com.sun.jna.Memory(8 + (long) entries.length * entrySize);
      cpuid.clear();
      cpuid.setInt(0, entries.length);
      for (int i = 0; i < entries.length; i++) {
        entries[i].write();
        cpuid.write(8 + (long) i * entrySize, entries[i].getPointer().getByteArray(0, entrySize), 0, entrySize);
      }
      Kvm.KvmSregs s = vcpu.getSregs();
      segment(s.cs, Supervisor.KERNEL_CS, 11, 1, 0);
      segment(s.ss, Supervisor.KERNEL_DS, 3, 0, 1);
      for (Kvm.KvmSegment d : new Kvm.KvmSegment[] {s.ds, s.es, s.fs, s.gs}) {
        segment(d, Supervisor.USER_DS, 3, 0, 1);
      }
      s.tr.base = Supervisor.TSS;
      s.tr.limit = Supervisor.TSS_LIMIT;
      s.tr.selector = Supervisor.TSS_SELECTOR;
      s.tr.type = 11; // busy 64-bit TSS
      s.tr.present = 1;
      s.tr.dpl = 0;
      s.tr.s = 0;
      s.tr.l = 0;
      s.tr.db = 0;
      s.tr.g = 0;
      s.tr.unusable = 0;
      s.gdt.base = Supervisor.GDT;
      s.gdt.limit = (short) (10 * 8 - 1);
      s.idt.base = Supervisor.IDT;
      s.idt.limit = (short) (Supervisor.EXCEPTION_VECTORS * 16 - 1);
      s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
      s.cr3 = 0;
      s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
      s.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
      s.write();
      template = new Template(cpuid, s.getPointer().getByteArray(0, s.size()));
      return template;
    }
  }

  /**
   * Writes the start frame that enters user mode at {@code entry} with stack {@code rsp} and returns the general
   * registers for the start stub.
   */
  public static long[] startRegisters(io.isolate.vm.vstate.GuestMemory memory, long entry, long rsp) {
    memory.writeLongs(Supervisor.START_FRAME,
        new long[] {entry, Supervisor.USER_CS, RFLAGS_BASE, rsp, Supervisor.USER_DS}, 0, 5);
    long[] regs = new long[18];
    regs[Vcpu.RSP] = Supervisor.START_FRAME;
    regs[Vcpu.RIP] = Supervisor.START_STUB;
    regs[Vcpu.RFLAGS] = 0x2;
    return regs;
  }

  private static void segment(Kvm.KvmSegment seg, int selector, int type, int longMode, int db) {
    seg.base = 0;
    seg.limit = 0xFFFFFFFF;
    seg.selector = (short) selector;
    seg.type = (byte) type;
    seg.present = 1;
    seg.dpl = (byte) (selector & 3);
    seg.db = (byte) db;
    seg.s = 1;
    seg.l = (byte) longMode;
    seg.g = 1;
    seg.avl = 0;
    seg.unusable = 0;
  }

  /** The value of CPUID.1:EDX, for the program's AT_HWCAP. */
  public static long hwcap(KvmDevice kvm) {
    Long h = hwcap;
    if (h == null) {
      h = 0L;
      for (Kvm.KvmCpuidEntry2 e : kvm.supportedCpuid()) {
        if (e.function == 1) {
          h = e.edx & 0xFFFFFFFFL;
        }
      }
      hwcap = h;
    }
    return h;
  }

  private static volatile Long hwcap;
}
