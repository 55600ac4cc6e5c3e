/**
 * The HARDWARE isolation level: each run of an unmodified static x86-64 Linux executable gets its own KVM virtual
 * machine, driven from Java through JNA, with a Linux system-call personality written in Java (trap-and-emulate,
 * in the spirit of gVisor's KVM platform). {@link io.isolate.vm.KvmIsolationProvider} is the entry point.
 *
 * <h2>Packages (after Firecracker's {@code vmm} crate)</h2>
 * <ul>
 *   <li>{@code kvm}: thin typed bindings of {@code linux/kvm.h} and libc; errors name the call and the errno.</li>
 *   <li>{@code vstate}: {@code Vm}, {@code Vcpu} (run loop primitives, kick), {@code GuestMemory} (bounds-checked),
 *       {@code VmPool} (fresh VMs ahead of time, background teardown),
 *       {@code IoBus}.</li>
 *   <li>{@code arch.x86_64}: GDT/IDT/TSS and stubs ({@code Supervisor}), {@code PageTables}, {@code CpuSetup}.</li>
 *   <li>{@code devices.legacy}: debug console and exit port, for raw guests.</li>
 *   <li>{@code elf}: static ELF parsing, every field checked.</li>
 *   <li>{@code linux}: the process (address space, vCPU loop), system calls, file descriptors, the mount-only
 *       file system.</li>
 * </ul>
 *
 * <h2>Guest layout</h2>
 * Guest-virtual addresses equal guest-physical ones (identity mapping, 4 KiB pages), so a user pointer is an offset
 * into guest memory and the guest's RAM size <em>is</em> its address space and its memory limit.
 * <pre>
 *  guest-physical / virtual
 *  0x0000_0000  page 0            never mapped: null dereferences fault
 *  0x0000_1000  GDT               supervisor only, read-only (descriptors pre-marked accessed)
 *  0x0000_2000  IDT               32 interrupt gates, DPL 0, to the exception stubs
 *  0x0000_3000  TSS               RSP0 = 0x7000
 *  0x0000_4000  supervisor code   syscall stub (LSTAR), start stub, 32 exception stubs; supervisor only, RX
 *  0x0000_5000  supervisor stack  two pages; exception and system-call IRETQ frames
 *  0x0001_0000  program           ELF segments at their addresses (static-PIE at 0x400000), each page with the
 *                                 segment's R/W/X (NX via EFER.NXE)
 *      ...      brk heap          grows up from the end of the executable
 *      ...      mmap regions      allocated top-down below the stack (highest free range first, like Linux)
 *  size - S     stack             S = min(8 MiB, size / 8); argc, argv, envp, auxv, strings at the top
 *  size         page tables       PML4, PDPT, PDs, PTs: outside the mapped range, invisible to the guest
 * </pre>
 *
 * <h2>How a program runs</h2>
 * The vCPU starts in supervisor mode at a one-instruction stub that IRETQs to the ELF entry in user mode
 * (CS 0x33, SS 0x2b): the program never leaves CPL 3. Its {@code syscall} reaches the host one of two ways:
 * <ul>
 *   <li>with VT-x/AMD-V, {@code syscall} enters the LSTAR stub in supervisor mode, whose {@code out} exits to the
 *       host;</li>
 *   <li>on PVM hosts (measured here), {@code syscall} jumps to LSTAR but stays in user mode, so fetching the
 *       supervisor-only stub page faults; the page-fault stub's {@code out} reports a fault whose rip is the stub,
 *       and the host treats exactly that as a system call.</li>
 * </ul>
 * Either way the host reads the registers (KVM_CAP_SYNC_REGS: no ioctl), runs the call in Java, leaves an IRETQ
 * frame (rcx, 0x33, r11, user rsp, 0x2b) on the supervisor stack, points rsp at it and re-enters; the stub's
 * {@code iretq} returns to the instruction after {@code syscall}. The exception stubs use one port per vector
 * ({@code out 0x40+v, al}) so that rax, the system-call number, is never clobbered. Any other exception ends the
 * run as FAULT with the vector, the address (CR2 for page faults) and rip; a triple fault, a halt or an emulation
 * failure also end as FAULT. SYSRET is never used (PVM cannot emulate it).
 *
 * <h2>Start-up and teardown</h2>
 * {@code Isolate.run()} runs the guest on the calling thread (no hand-off to a vCPU thread; {@code start()} still
 * uses one). The VM comes from {@link io.isolate.vm.vstate.VmPool}: a background thread keeps up to two fresh VMs
 * (VM and vCPU file descriptors, guest memory, CPUID and MSRs set, the pages every start touches prefaulted) of
 * the memory size last asked for twice in a row. A pooled VM has never run and its memory is a fresh zero
 * mapping, so no data of an earlier guest can reach it; used VMs are never reused. After the result is out, the
 * VM is destroyed on a background thread: {@code Isolate.close()} returns once the run has ended and its guest
 * file descriptors are closed, without waiting for the kernel's teardown of the VM (at most eight wait; beyond
 * that the caller does it). {@code VmPool.drain()} closes the pool and waits for pending teardowns.
 * {@code -Disolate.vm.pool=0} turns pool and background teardown off.
 *
 * <h2>Limits</h2>
 * A watchdog thread enforces the wall-time limit: it sets {@code kvm_run.immediate_exit} and sends a real-time
 * signal to the vCPU thread, whose handler is libc's {@code getpid} (a native no-op: no Java runs in a signal
 * handler), repeating every 2 ms until the loop notices. Blocking host-side calls (pipes, sleeps) poll the same
 * stop flag. brk and mmap beyond guest RAM fail with ENOMEM; stdout and stderr share the output budget of
 * {@link io.isolate.spi.OutputSink}.
 */
package io.isolate.vm;
