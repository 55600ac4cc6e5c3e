package io.isolate.vm.arch.x86_64;

import io.isolate.vm.vstate.GuestMemory;

/**
 * The guest's minimal supervisor: a GDT, an IDT with one stub per exception vector, a TSS, a start stub and a
 * system-call stub, in the pages just above the unmapped page 0. The program cannot see these pages (their
 * page-table entries lack the user bit) and the supervisor does nothing itself: each stub tells the host with one
 * {@code out} and the host does the work in Java.
 *
 * <p>A system call reaches the host one of two ways. On hosts with VT-x or AMD-V, {@code syscall} enters the stub
 * at LSTAR in supervisor mode and its {@code out} exits to the host. On PVM hosts, {@code syscall} jumps to LSTAR
 * but stays in user mode (measured on this project's machines), so fetching the supervisor-only stub faults: the
 * page-fault stub reports vector 14 with the stub's address as the faulting rip, and the host treats exactly that
 * as a system call. Either way the host serves the call, leaves an IRETQ frame and the stub returns.
 *
 * <pre>
 *   0x1000  GDT   0x10 kernel CS (64-bit)  0x18 kernel DS  0x28 user DS  0x30 user CS (64-bit)  0x40 TSS
 *   0x2000  IDT   32 interrupt gates, DPL 0, to the exception stubs
 *   0x3000  TSS   RSP0 = STACK_TOP
 *   0x4000  code  system-call stub (LSTAR) {@code out 0x10, al; iretq}; start stub at +0x80 {@code iretq};
 *                 exception stub of vector v at +0x100 + 8v {@code out 0x40+v, al; iretq}
 *   0x5000  supervisor stack, two pages, top at 0x7000
 * </pre>
 */
public final class Supervisor {
  public static final long GDT = 0x1000;
  public static final long IDT = 0x2000;
  public static final long TSS = 0x3000;
  public static final long CODE = 0x4000;
  public static final long SYSCALL_STUB = CODE;
  public static final long EXCEPTION_STUBS = CODE + 0x100;
  /**
   * Where the vCPU starts, in supervisor mode: one IRETQ to the program's entry through a frame the host leaves at
   * {@link #START_FRAME}. Entering user mode by IRETQ rather than by setting CS to 0x33 from the host matters on
   * PVM hosts, which only track a switch to user mode that the guest makes itself.
   */
  public static final long START_STUB = CODE + 0x80;
  public static final long STACK_BOTTOM = 0x5000;
  public static final long STACK_TOP = 0x7000;
  /** Lowest address a program may use: Linux's default {@code vm.mmap_min_addr}. */
  public static final long USER_MIN = 0x10000;

  public static final int KERNEL_CS = 0x10;
  public static final int KERNEL_DS = 0x18;
  public static final int USER_DS = 0x28 | 3;
  public static final int USER_CS = 0x30 | 3;
  public static final int TSS_SELECTOR = 0x40;
  public static final int TSS_LIMIT = 0x67;

  /** Port the system-call stub writes to; {@code al} holds the low byte of the call number. */
  public static final int SYSCALL_PORT = 0x10;
  /** First of the 32 ports the exception stubs write to: vector v writes to {@code EXCEPTION_PORT + v}. */
  public static final int EXCEPTION_PORT = 0x40;
  public static final int EXCEPTION_VECTORS = 32;

  /** Where the host leaves the IRETQ frame (rcx, 0x33, r11, user rsp, 0x2b) that ends a system call. */
  public static final long SYSCALL_RETURN_FRAME = STACK_TOP - 5 * 8;
  /** The IRETQ frame of {@link #START_STUB}: rip, cs, rflags, rsp, ss. */
  public static final long START_FRAME = STACK_TOP - 5 * 8;

  // Descriptors with the accessed bit already set, so the CPU never writes to the read-only GDT.
  static final long KERNEL_CODE_64 = 0x00AF9B000000FFFFL; // P, DPL0, code exec/read, L
  static final long KERNEL_DATA = 0x00CF93000000FFFFL; // P, DPL0, data read/write, G, D/B
  static final long USER_DATA = 0x00CFF3000000FFFFL; // P, DPL3, data read/write
  static final long USER_CODE_64 = 0x00AFFB000000FFFFL; // P, DPL3, code exec/read, L

  private Supervisor() {}

  /** Writes the GDT, IDT, TSS and stubs into {@code memory}; the caller maps the pages for the supervisor. */
  public static void install(GuestMemory memory) {
    long[] gdt = new long[10];
    gdt[KERNEL_CS >> 3] = KERNEL_CODE_64;
    gdt[KERNEL_DS >> 3] = KERNEL_DATA;
    gdt[0x28 >> 3] = USER_DATA;
    gdt[0x30 >> 3] = USER_CODE_64;
    // 16-byte 64-bit TSS descriptor: limit, base, type 0x89 (present, available 64-bit TSS)
    gdt[TSS_SELECTOR >> 3] = (TSS_LIMIT & 0xFFFFL) | ((TSS & 0xFFFFFFL) << 16) | (0x89L << 40)
        | (((long) TSS_LIMIT >> 16 & 0xF) << 48) | (((TSS >> 24) & 0xFF) << 56);
    gdt[(TSS_SELECTOR >> 3) + 1] = TSS >>> 32;
    memory.writeLongs(GDT, gdt, 0, gdt.length);

    long[] idt = new long[EXCEPTION_VECTORS * 2];
    for (int v = 0; v < EXCEPTION_VECTORS; v++) {
      long target = EXCEPTION_STUBS + 8L * v;
      // interrupt gate: offset 15:0, selector, IST 0, type 0x8E (present, DPL 0, 64-bit interrupt gate), offset 31:16
      idt[2 * v] = (target & 0xFFFF) | ((long) KERNEL_CS << 16) | (0x8EL << 40) | (((target >> 16) & 0xFFFF) << 48);
      idt[2 * v + 1] = target >>> 32;
    }
    memory.writeLongs(IDT, idt, 0, idt.length);

    byte[] tss = new byte[TSS_LIMIT + 1];
    putLong(tss, 4, STACK_TOP); // RSP0: the stack the CPU switches to on an exception from user mode
    tss[102] = (byte) (TSS_LIMIT + 1); // I/O map base beyond the limit: no I/O permission bitmap
    memory.write(TSS, tss);

    memory.write(SYSCALL_STUB, new byte[] {
        (byte) 0xE6, SYSCALL_PORT, //  out SYSCALL_PORT, al   ; the host runs the call, then points rsp at
        0x48, (byte) 0xCF          //  iretq                  ; SYSCALL_RETURN_FRAME (rcx, 0x33, r11, rsp, 0x2b)
    });
    memory.write(START_STUB, new byte[] {0x48, (byte) 0xCF}); // iretq
    byte[] stubs = new byte[8 * EXCEPTION_VECTORS];
    for (int v = 0; v < EXCEPTION_VECTORS; v++) {
      int o = 8 * v;
      // One port per vector, so that no register is touched: rax still holds a system call's number when the
      // page-fault stub reports one (see the class comment).
      stubs[o] = (byte) 0xE6; //       out EXCEPTION_PORT + vector, al   ; the host reads the frame: a fault ends
      stubs[o + 1] = (byte) (EXCEPTION_PORT + v); //                   ; the run, a system call is served and
      stubs[o + 2] = 0x48; //          iretq                             ; resumed through the frame the host
      stubs[o + 3] = (byte) 0xCF; //                                     ; leaves at rsp
      stubs[o + 4] = (byte) 0xF4; //   hlt (padding)
      stubs[o + 5] = (byte) 0xF4;
      stubs[o + 6] = (byte) 0xF4;
      stubs[o + 7] = (byte) 0xF4;
    }
    memory.write(EXCEPTION_STUBS, stubs);
  }

  private static void putLong(byte[] b, int off, long v) {
    for (int i = 0; i < 8; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  /** Whether exception {@code vector} pushes an error code. */
  public static boolean hasErrorCode(int vector) {
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29
        || vector == 30;
  }

  /** The mnemonic of exception {@code vector}, e.g. "#PF". */
  public static String exceptionName(int vector) {
    String[] names = {"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
        "#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
        "coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present", "#SS stack fault",
        "#GP general protection", "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
        "#MC machine check", "#XM SIMD exception", "#VE virtualization exception", "#CP control protection"};
    return vector >= 0 && vector < names.length ? names[vector] : "exception " + vector;
  }
}
