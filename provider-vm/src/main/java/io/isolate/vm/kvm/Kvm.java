package io.isolate.vm.kvm;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/**
 * Constants, ioctl numbers and structures of {@code linux/kvm.h} (x86-64). Structures keep the C field names;
 * {@code KvmStructSizeTest} checks each size against the C {@code sizeof}.
 */
public final class Kvm {
  private Kvm() {}

  public static final int KVM_API_VERSION = 12;
  private static final int KVMIO = 0xAE;

  // ioctl number encoding of asm-generic/ioctl.h
  private static final int IOC_WRITE = 1;
  private static final int IOC_READ = 2;

  static long io(int nr) {
    return ioc(0, nr, 0);
  }

  static long ior(int nr, int size) {
    return ioc(IOC_READ, nr, size);
  }

  static long iow(int nr, int size) {
    return ioc(IOC_WRITE, nr, size);
  }

  static long iowr(int nr, int size) {
    return ioc(IOC_READ | IOC_WRITE, nr, size);
  }

  private static long ioc(int dir, int nr, int size) {
    return ((long) dir << 30) | ((long) size << 16) | ((long) KVMIO << 8) | nr;
  }

  public static final long KVM_GET_API_VERSION = io(0x00);
  public static final long KVM_CREATE_VM = io(0x01);
  public static final long KVM_CHECK_EXTENSION = io(0x03);
  public static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
  public static final long KVM_GET_SUPPORTED_CPUID = iowr(0x05, 8);
  public static final long KVM_CREATE_VCPU = io(0x41);
  public static final long KVM_SET_USER_MEMORY_REGION = iow(0x46, 32);
  public static final long KVM_RUN = io(0x80);
  public static final long KVM_GET_REGS = ior(0x81, 144);
  public static final long KVM_SET_REGS = iow(0x82, 144);
  public static final long KVM_GET_SREGS = ior(0x83, 312);
  public static final long KVM_SET_SREGS = iow(0x84, 312);
  public static final long KVM_SET_MSRS = iow(0x89, 8);
  /** {@code struct kvm_fpu}: 416 bytes (x87, SSE registers, MXCSR). */
  public static final long KVM_GET_FPU = ior(0x8c, 416);
  public static final long KVM_SET_FPU = iow(0x8d, 416);
  public static final long KVM_SET_CPUID2 = iow(0x90, 8);
  /** On the VM: MMIO writes to a zone are buffered in the coalesced ring instead of exiting (struct of 16 bytes). */
  public static final long KVM_REGISTER_COALESCED_MMIO = iow(0x67, 16);
  /** On the VM: a guest write to an address signals an eventfd inside the kernel ({@code struct kvm_ioeventfd}). */
  public static final long KVM_IOEVENTFD = iow(0x79, 64);
  /** On a vCPU: the guest's TSC frequency in kHz, as the ioctl's result. */
  public static final long KVM_GET_TSC_KHZ = io(0xa3);

  // capabilities
  public static final int KVM_CAP_USER_MEMORY = 3;
  public static final int KVM_CAP_EXT_CPUID = 7;
  public static final int KVM_CAP_IMMEDIATE_EXIT = 136;
  public static final int KVM_CAP_SYNC_REGS = 74;
  /** KVM_CHECK_EXTENSION answers the page offset of the coalesced-MMIO ring in the vCPU mapping, or 0. */
  public static final int KVM_CAP_COALESCED_MMIO = 15;
  public static final int KVM_CAP_IOEVENTFD = 36;
  public static final int KVM_IOEVENTFD_FLAG_DATAMATCH = 1;
  public static final int KVM_IOEVENTFD_FLAG_DEASSIGN = 4;

  // exit reasons
  public static final int KVM_EXIT_UNKNOWN = 0;
  public static final int KVM_EXIT_EXCEPTION = 1;
  public static final int KVM_EXIT_IO = 2;
  public static final int KVM_EXIT_HLT = 5;
  public static final int KVM_EXIT_MMIO = 6;
  public static final int KVM_EXIT_SHUTDOWN = 8;
  public static final int KVM_EXIT_FAIL_ENTRY = 9;
  public static final int KVM_EXIT_INTR = 10;
  public static final int KVM_EXIT_INTERNAL_ERROR = 17;

  public static final int KVM_EXIT_IO_IN = 0;
  public static final int KVM_EXIT_IO_OUT = 1;

  public static final int KVM_SYNC_X86_REGS = 1;
  public static final int KVM_SYNC_X86_SREGS = 2;
  public static final int KVM_SYNC_X86_EVENTS = 4;

  /** Offsets into the vCPU's shared {@code struct kvm_run} (x86-64). */
  public static final class Run {
    private Run() {}

    public static final int IMMEDIATE_EXIT = 1;
    public static final int EXIT_REASON = 8;
    /** Start of the exit-reason union. */
    public static final int EXIT = 32;
    public static final int IO_DIRECTION = EXIT;
    public static final int IO_SIZE = EXIT + 1;
    public static final int IO_PORT = EXIT + 2;
    public static final int IO_COUNT = EXIT + 4;
    public static final int IO_DATA_OFFSET = EXIT + 8;
    public static final int MMIO_PHYS_ADDR = EXIT;
    public static final int MMIO_DATA = EXIT + 8;
    public static final int MMIO_LEN = EXIT + 16;
    public static final int MMIO_IS_WRITE = EXIT + 20;
    public static final int FAIL_ENTRY_REASON = EXIT;
    public static final int INTERNAL_SUBERROR = EXIT;
    public static final int KVM_VALID_REGS = 288;
    public static final int KVM_DIRTY_REGS = 296;
    /** {@code s.regs.regs}: a {@code struct kvm_regs} kept in sync when KVM_CAP_SYNC_REGS is on. */
    public static final int SYNC_REGS = 304;
    /** {@code s.regs.sregs}. */
    public static final int SYNC_SREGS = SYNC_REGS + 144;
    /** {@code sizeof(struct kvm_run)}. */
    public static final int SIZE = 2352;
  }

  /** {@code struct kvm_userspace_memory_region}. */
  @FieldOrder({"slot", "flags", "guest_phys_addr", "memory_size", "userspace_addr"})
  public static class KvmUserspaceMemoryRegion extends Structure {
    public int slot;
    public int flags;
    public long guest_phys_addr;
    public long memory_size;
    public long userspace_addr;
  }

  /** {@code struct kvm_regs}: general registers, in this order. */
  @FieldOrder({"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11", "r12", "r13",
      "r14", "r15", "rip", "rflags"})
  public static class KvmRegs extends Structure {
    public long rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags;

    public KvmRegs() {}

    public KvmRegs(Pointer p) {
      super(p);
    }
  }

  /** {@code struct kvm_segment}. */
  @FieldOrder({"base", "limit", "selector", "type", "present", "dpl", "db", "s", "l", "g", "avl", "unusable",
      "padding"})
  public static class KvmSegment extends Structure {
    public long base;
    public int limit;
    public short selector;
    public byte type, present, dpl, db, s, l, g, avl, unusable, padding;
  }

  /** {@code struct kvm_dtable}. */
  @FieldOrder({"base", "limit", "padding"})
  public static class KvmDtable extends Structure {
    public long base;
    public short limit;
    public short[] padding = new short[3];
  }

  /** {@code struct kvm_sregs}. */
  @FieldOrder({"cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt", "gdt", "idt", "cr0", "cr2", "cr3", "cr4", "cr8",
      "efer", "apic_base", "interrupt_bitmap"})
  public static class KvmSregs extends Structure {
    public KvmSegment cs, ds, es, fs, gs, ss, tr, ldt;
    public KvmDtable gdt, idt;
    public long cr0, cr2, cr3, cr4, cr8, efer, apic_base;
    public long[] interrupt_bitmap = new long[4];
  }

  /** {@code struct kvm_cpuid_entry2}. */
  @FieldOrder({"function", "index", "flags", "eax", "ebx", "ecx", "edx", "padding"})
  public static class KvmCpuidEntry2 extends Structure {
    public int function, index, flags, eax, ebx, ecx, edx;
    public int[] padding = new int[3];
  }

  /** {@code struct kvm_cpuid2}: a header followed by {@code nent} {@link KvmCpuidEntry2}. */
  @FieldOrder({"nent", "padding"})
  public static class KvmCpuid2 extends Structure {
    public int nent;
    public int padding;
  }

  /** {@code struct kvm_msr_entry}. */
  @FieldOrder({"index", "reserved", "data"})
  public static class KvmMsrEntry extends Structure {
    public int index;
    public int reserved;
    public long data;
  }

  /** {@code struct kvm_msrs}: a header followed by {@code nmsrs} {@link KvmMsrEntry}. */
  @FieldOrder({"nmsrs", "pad"})
  public static class KvmMsrs extends Structure {
    public int nmsrs;
    public int pad;
  }
}
