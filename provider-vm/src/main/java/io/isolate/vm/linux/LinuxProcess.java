package io.isolate.vm.linux;

import io.isolate.Termination;
import io.isolate.spi.DaemonThreads;
import io.isolate.vm.VmSettings;
import io.isolate.vm.arch.x86_64.CpuSetup;
import io.isolate.vm.arch.x86_64.PageTables;
import io.isolate.vm.arch.x86_64.Supervisor;
import io.isolate.vm.elf.ElfImage;
import io.isolate.vm.elf.ElfLoader;
import io.isolate.vm.kvm.Kvm;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.vstate.GuestMemory;
import io.isolate.vm.vstate.IoBus;
import io.isolate.vm.vstate.Vcpu;
import io.isolate.vm.vstate.Vm;
import io.isolate.vm.vstate.VmPool;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One unmodified static Linux program in its own VM: the address space, the loaded executable, the initial stack,
 * the file descriptors and the vCPU loop that turns the supervisor's port writes into system calls and faults.
 *
 * <pre>{@code
 * try (LinuxProcess p = LinuxProcess.create(new ProcessConfig(elfBytes, "hello").args(List.of("x")))) {
 *   LinuxProcess.Outcome o = p.run();
 * }
 * }</pre>
 */
public final class LinuxProcess implements AutoCloseable {
  /**
   * Deadlines of runs. A run's deadline is cancelled when it ends and leaves the queue at once, rather than keep the
   * process it refers to (page map included) reachable until the wall-time limit would have passed.
   */
  /** Re-kicks a vCPU that has not yet seen its stop (see {@link #kickUntilStopped()}). */
  private static final ScheduledExecutorService KICKS = DaemonThreads.scheduler("isolate-vm-kick");

  /** How a run ended. {@code exitCode} is -1 unless the program exited or a fault stood for a signal. */
  public record Outcome(Termination termination, int exitCode, String detail, Map<String, Long> unsupportedCalls,
      long peakMemoryBytes, Duration wallTime, long syscalls) {}

  /** -Disolate.vm.trace=true prints every system call to stderr, like strace ({@link VmSettings#trace()}). */
  private static final boolean TRACE = VmSettings.fromSystemProperties().trace();
  private final KvmDevice kvm;
  private final Vm vm;
  private final Vcpu vcpu;
  private final IoBus bus = new IoBus();
  private final ProcessConfig config;
  final MemoryManager mm;
  final Vfs vfs;
  final FdTable fds = new FdTable();
  private final Syscalls syscalls;
  final Signals signals;
  String cwd;
  final String hostname;
  final String exePath;
  final long stackSize;
  long fsBase;
  long gsBase;
  final long bootNanos = System.nanoTime();
  long startNanos = bootNanos;
  private long nextIno = 1;
  private final Map<String, Long> unsupported = new TreeMap<>();
  private long syscallCount;
  private volatile Termination stopReason;
  private volatile boolean running;
  private boolean exited;
  private int exitStatus;
  private boolean ran;
  private final java.util.concurrent.locks.ReentrantLock runLock = new java.util.concurrent.locks.ReentrantLock();
  private boolean closed;

  private LinuxProcess(KvmDevice kvm, Vm vm, ProcessConfig config, long addressSpace, ElfImage image) {
    this.kvm = kvm;
    this.vm = vm;
    this.config = config;
    this.vcpu = vm.vcpu();
    GuestMemory memory = vm.memory();
    PageTables tables = PageTables.create(memory, addressSpace, addressSpace);
    this.mm = new MemoryManager(memory, tables, addressSpace);
    this.vfs = new Vfs(config.mounts());
    this.cwd = config.workingDir();
    this.hostname = config.hostname();
    this.exePath = "/" + config.name().replace('/', '_');
    this.stackSize = stackSize(addressSpace);
    UserMemory um = new UserMemory(mm);
    this.signals = new Signals(um, vcpu);
    this.syscalls = new Syscalls(this, um);
    syscalls.setThreadName(config.name());
    syscalls.deny(config.denied());

    Supervisor.install(memory);
    mm.mapSupervisor();
    load(memory, mm, image, config.executable());
    long stackBottom = addressSpace - stackSize;
    mm.mapFixed(stackBottom, stackSize, MemoryManager.PROT_READ | MemoryManager.PROT_WRITE);
    mm.setStackBottom(stackBottom);
    List<String> argv = new ArrayList<>();
    argv.add(config.name());
    argv.addAll(config.args());
    List<String> env = new ArrayList<>();
    config.env().forEach((k, v) -> env.add(k + "=" + v));
    InitialStack.Built stack = InitialStack.build(addressSpace, image, argv, env, exePath, CpuSetup.hwcap(kvm));
    if (stack.bytes().length > stackSize / 2) {
      throw new IllegalArgumentException("arguments and environment (" + stack.bytes().length
          + " bytes) take more than half of the stack (" + stackSize + " bytes)");
    }
    memory.write(stack.rsp(), stack.bytes());
    mm.takeTablesChanged(); // nothing ran yet: KVM_SET_SREGS below loads CR3 anyway

    CpuSetup.configureSregs(kvm, vcpu, tables.root()); // CPUID and MSRs: VCPU_SETUP
    vcpu.setRegs(CpuSetup.startRegisters(memory, image.entry(), stack.rsp()));

    fds.install(config.stdin().open(this), 0, false);
    fds.install(config.stdout().open(this), 1, false);
    fds.install(config.stderr().open(this), 2, false);
  }

  /**
   * Creates the VM and loads the program; nothing runs yet.
   *
   * @throws io.isolate.vm.elf.ElfException when the executable cannot be loaded
   * @throws KvmException when KVM refuses
   */
  public static LinuxProcess create(ProcessConfig config) {
    KvmDevice kvm = KvmDevice.get();
    long addressSpace = (config.memoryBytes() + (2 << 20) - 1) & ~((2L << 20) - 1);
    // parse before creating anything: a file that is not a usable executable costs no VM
    ElfImage image = parse(config.executable(), addressSpace);
    long physical = addressSpace + PageTables.footprint(addressSpace);
    // a fresh VM with its vCPU, never run, CPUID and MSRs set (created ahead of time when the pool has one)
    Vm vm = VmPool.take(kvm, (physical + 4095) & ~4095L, VCPU_SETUP);
    try {
      return new LinuxProcess(kvm, vm, config, addressSpace, image);
    } catch (RuntimeException | Error e) {
      vm.close();
      throw e;
    }
  }

  /**
   * Parses {@code executable} for an address space of {@code addressSpace} bytes: its segments must lie above the
   * supervisor's pages and leave room for the stack and a megabyte of heap below it.
   *
   * @throws io.isolate.vm.elf.ElfException when it is not a static x86-64 executable that fits
   */
  static ElfImage parse(byte[] executable, long addressSpace) {
    return ElfLoader.parse(executable, Supervisor.USER_MIN, addressSpace - stackSize(addressSpace) - (1 << 20));
  }

  /**
   * Maps the executable's segments with their protections, copies their file bytes in, and puts the program break
   * above them. {@code image} is what {@link ElfLoader#parse} made of {@code executable}: every range it names is
   * inside the file and the address space.
   */
  static void load(GuestMemory memory, MemoryManager mm, ElfImage image, byte[] executable) {
    for (ElfImage.Segment s : image.segments()) {
      int prot = (s.read() ? MemoryManager.PROT_READ : 0) | (s.write() ? MemoryManager.PROT_WRITE : 0)
          | (s.execute() ? MemoryManager.PROT_EXEC : 0);
      mm.mapFixed(s.address(), s.memorySize(), prot);
      memory.write(s.address(), executable, (int) s.fileOffset(), (int) s.fileSize());
    }
    mm.setBrkStart(image.end());
  }

  /**
   * What a VM pool may do ahead of time for a process: CPUID and MSRs, and prefaulting the guest pages that every
   * start touches (supervisor, page tables, the top of the stack, the usual load address) so that neither the
   * host nor the guest waits for the host kernel's page faults on them. The memory stays zero: fresh.
   */
  private static final Consumer<Vm> VCPU_SETUP = vm -> {
    CpuSetup.configureCpuidAndMsrs(KvmDevice.get(), vm.vcpu());
    prefault(vm.memory());
  };

  private static void prefault(GuestMemory memory) {
    long physical = memory.size();
    long addressSpace = physical & ~((2L << 20) - 1);
    while (addressSpace > 0 && addressSpace + PageTables.footprint(addressSpace) > physical) {
      addressSpace -= 2 << 20;
    }
    if (addressSpace <= 0 || addressSpace + PageTables.footprint(addressSpace) != physical) {
      return; // not laid out by create(): nothing known to prefault
    }
    long stackTop = 32 << 10;
    long elf = 64 << 10;
    memory.prefault(Supervisor.GDT, Supervisor.STACK_TOP - Supervisor.GDT);
    memory.prefault(addressSpace - stackTop, stackTop);
    boolean elfFits = ElfLoader.PIE_BASE + elf <= addressSpace - stackSize(addressSpace);
    if (elfFits) {
      memory.prefault(ElfLoader.PIE_BASE, elf);
    }
    PageTables.prefault(memory, addressSpace, addressSpace, 0, addressSpace - 1,
        elfFits ? ElfLoader.PIE_BASE : 0);
  }

  /** The stack: 8 MiB as Linux's default RLIMIT_STACK, but at most an eighth of a small address space. */
  static long stackSize(long addressSpace) {
    return Math.max(128 << 10, Math.min(8 << 20, addressSpace / 8));
  }

  // ---- the vCPU loop -----------------------------------------------------------------------------------------------

  /** Runs the program to its end, on the calling thread. A process runs once. */
  public Outcome run() {
    if (ran) {
      throw new IllegalStateException("a process runs once; create a new one");
    }
    ran = true;
    runLock.lock();
    if (closed) {
      runLock.unlock();
      return outcome(Termination.KILLED, -1, "killed before it started");
    }
    startNanos = System.nanoTime();
    running = true;
    vcpuThreadId = Thread.currentThread().getId();
    cpuStartNanos = THREAD_CPU.isCurrentThreadCpuTimeSupported() ? THREAD_CPU.getCurrentThreadCpuTime() : -1;
    try {
      return loop();
    } finally {
      running = false;
      fds.closeAll();
      runLock.unlock();
    }
  }

  private static final ThreadMXBean THREAD_CPU = ManagementFactory.getThreadMXBean();
  private volatile long vcpuThreadId = -1;
  private volatile long cpuStartNanos = -1;

  /**
   * The CPU time of this run so far: the thread that runs the guest (KVM_RUN) and serves its system calls; -1
   * before the run or where thread CPU time cannot be read. The run's supervisor holds it to the CPU-time limit.
   */
  public long cpuTimeNanos() {
    long thread = vcpuThreadId;
    long start = cpuStartNanos;
    if (thread < 0 || start < 0) {
      return -1;
    }
    long now = THREAD_CPU.getThreadCpuTime(thread);
    return now < 0 ? -1 : now - start;
  }

  private Outcome loop() {
    var run = vcpu.runArea();
    while (true) {
      if (stopReason != null) {
        return outcome(stopReason, -1, describeStop(stopReason));
      }
      int reason = vcpu.run();
      switch (reason) {
        case Kvm.KVM_EXIT_IO -> {
          int port = run.getShort(Kvm.Run.IO_PORT) & 0xFFFF;
          boolean out = run.getByte(Kvm.Run.IO_DIRECTION) == Kvm.KVM_EXIT_IO_OUT;
          if (port == Supervisor.SYSCALL_PORT && out) {
            Outcome o = systemCall(vcpu.reg(Vcpu.RSP));
            if (o != null) {
              return o;
            }
          } else if (port >= Supervisor.EXCEPTION_PORT && out
              && port < Supervisor.EXCEPTION_PORT + Supervisor.EXCEPTION_VECTORS) {
            int vector = port - Supervisor.EXCEPTION_PORT;
            long frame = vcpu.reg(Vcpu.RSP);
            if (vector == 14 && frame == Supervisor.STACK_TOP - 48
                && vm.memory().readLong(frame + 8) == Supervisor.SYSCALL_STUB
                && vm.memory().readLong(frame + 16) == Supervisor.USER_CS) {
              // PVM: `syscall` stayed in user mode and faulted on fetching the stub (see Supervisor)
              Outcome o = systemCall(vm.memory().readLong(frame + 32));
              if (o != null) {
                return o;
              }
              continue;
            }
            Outcome o = fault(vector);
            if (o != null) {
              return o;
            }
          } else {
            bus.dispatch(vcpu);
          }
        }
        case Kvm.KVM_EXIT_INTR -> {
          if (stopReason == null) {
            vcpu.clearKick(); // a late kick from an earlier stop request: nothing to do
          }
        }
        case Kvm.KVM_EXIT_SHUTDOWN -> {
          return outcome(Termination.FAULT, 128 + 11, "triple fault (the CPU shut down) at rip 0x"
              + Long.toHexString(vcpu.reg(Vcpu.RIP)));
        }
        case Kvm.KVM_EXIT_HLT -> {
          return outcome(Termination.FAULT, 128 + 11, "the guest halted at rip 0x"
              + Long.toHexString(vcpu.reg(Vcpu.RIP)));
        }
        case Kvm.KVM_EXIT_FAIL_ENTRY -> {
          return outcome(Termination.FAULT, -1, "KVM could not enter the guest (hardware entry failure reason 0x"
              + Long.toHexString(run.getLong(Kvm.Run.FAIL_ENTRY_REASON)) + ")");
        }
        case Kvm.KVM_EXIT_INTERNAL_ERROR -> {
          return outcome(Termination.FAULT, 128 + 11, "KVM internal error (suberror "
              + run.getInt(Kvm.Run.INTERNAL_SUBERROR) + ") at rip 0x" + Long.toHexString(vcpu.reg(Vcpu.RIP))
              + ": the host could not emulate an instruction");
        }
        case Kvm.KVM_EXIT_MMIO -> {
          return outcome(Termination.FAULT, 128 + 11, "access to unbacked guest-physical address 0x"
              + Long.toHexString(run.getLong(Kvm.Run.MMIO_PHYS_ADDR)) + " at rip 0x"
              + Long.toHexString(vcpu.reg(Vcpu.RIP)) + (run.getByte(Kvm.Run.MMIO_IS_WRITE) != 0 ? " (write)" : ""));
        }
        default -> {
          return outcome(Termination.FAULT, -1, "unexpected KVM exit reason " + reason);
        }
      }
    }
  }

  private Outcome systemCall(long userRsp) {
    syscallCount++;
    long nr = vcpu.reg(Vcpu.RAX);
    long result = syscalls.dispatch(nr, vcpu.reg(Vcpu.RDI), vcpu.reg(Vcpu.RSI), vcpu.reg(Vcpu.RDX),
        vcpu.reg(Vcpu.R10), vcpu.reg(Vcpu.R8), vcpu.reg(Vcpu.R9));
    if (TRACE) {
      System.err.printf("[vm] %s(0x%x, 0x%x, 0x%x, 0x%x) = %d (0x%x)%n", SyscallNames.name(nr), vcpu.reg(Vcpu.RDI),
          vcpu.reg(Vcpu.RSI), vcpu.reg(Vcpu.RDX), vcpu.reg(Vcpu.R10), result, result);
    }
    if (exited) {
      return outcome(Termination.EXITED, exitStatus, "");
    }
    if (stopReason != null) {
      return outcome(stopReason, -1, describeStop(stopReason));
    }
    if (mm.takeTablesChanged()) {
      vcpu.readSregsRaw();
      vcpu.writeSregsRaw(); // reloading CR3 makes the new page-table entries visible
    }
    // the registers the program returns to: the instruction after `syscall`, with the result in rax
    long[] regs = currentRegisters();
    regs[Vcpu.RAX] = result;
    regs[Vcpu.RIP] = regs[Vcpu.RCX];
    regs[Vcpu.RFLAGS] = regs[Vcpu.R11];
    regs[Vcpu.RSP] = userRsp;
    if (sigreturn) {
      sigreturn = false;
      regs = signals.sigreturn(userRsp);
      if (regs == null) {
        return outcome(Termination.FAULT, 128 + 11, "rt_sigreturn with an unreadable signal frame at 0x"
            + Long.toHexString(userRsp));
      }
    }
    if (pendingSignal == 0) {
      pendingSignal = signals.takeDeliverable(); // unblocked by sigprocmask or rt_sigreturn
    }
    if (pendingSignal != 0) {
      int signal = pendingSignal;
      pendingSignal = 0;
      long[] handler = signal == 9 ? null : signals.deliver(signal, 0 /* SI_USER */, Syscalls.PID, regs, 0, 0);
      if (handler == null) {
        String name = signal < SIGNALS.length ? SIGNALS[signal] : "signal " + signal;
        return outcome(Termination.FAULT, 128 + signal, "terminated by " + name + " (" + signal
            + "), which the program sent itself");
      }
      regs = handler;
    }
    returnToUser(regs);
    return null;
  }

  /** The general registers as the vCPU left them (the user's, apart from rip, rsp and rflags in a stub). */
  private long[] currentRegisters() {
    long[] regs = new long[18];
    for (int i = 0; i < 18; i++) {
      regs[i] = vcpu.reg(i);
    }
    return regs;
  }

  /**
   * Makes the stub's IRETQ resume the program with {@code regs}: general registers set directly, rip, rflags and
   * rsp through the frame the stub returns through. The stub's own rip stays as it is.
   */
  private void returnToUser(long[] regs) {
    long frame = Supervisor.SYSCALL_RETURN_FRAME;
    long rflags = (regs[Vcpu.RFLAGS] & CpuSetup.USER_RFLAGS_MASK) | CpuSetup.RFLAGS_BASE;
    vm.memory().writeLongs(frame, new long[] {regs[Vcpu.RIP], Supervisor.USER_CS, rflags, regs[Vcpu.RSP],
        Supervisor.USER_DS}, 0, 5);
    for (int i = 0; i < 16; i++) {
      if (i != Vcpu.RSP && regs[i] != vcpu.reg(i)) {
        vcpu.setReg(i, regs[i]);
      }
    }
    vcpu.setReg(Vcpu.RSP, frame);
  }

  /** Ends the run for exception {@code vector}, or enters the program's signal handler for it (then null). */
  private Outcome fault(int vector) {
    GuestMemory memory = vm.memory();
    long rsp = vcpu.reg(Vcpu.RSP);
    boolean err = Supervisor.hasErrorCode(vector);
    long errorCode = 0;
    long rip;
    long cs;
    try {
      errorCode = err ? memory.readLong(rsp) : 0;
      rip = memory.readLong(rsp + (err ? 8 : 0));
      cs = memory.readLong(rsp + (err ? 16 : 8));
    } catch (RuntimeException e) {
      rip = -1;
      cs = 0;
    }
    String where = ((cs & 3) == 3 ? "" : "supervisor code ") + "at rip 0x" + Long.toHexString(rip);
    if (VmSettings.fromSystemProperties().debug()) {
      where += String.format(" [error 0x%x cs 0x%x rsp 0x%x frame rflags 0x%x rsp 0x%x ss 0x%x; rcx 0x%x r11 0x%x]",
          errorCode, cs, rsp, memory.readLong(rsp + (err ? 24 : 16)), memory.readLong(rsp + (err ? 32 : 24)),
          memory.readLong(rsp + (err ? 40 : 32)), vcpu.reg(Vcpu.RCX), vcpu.reg(Vcpu.R11));
    }
    int signal = switch (vector) {
      case 0, 16, 19 -> 8; // SIGFPE
      case 6 -> 4; // SIGILL
      case 1, 3 -> 5; // SIGTRAP
      case 17 -> 7; // SIGBUS
      default -> 11; // SIGSEGV
    };
    String detail;
    long cr2 = vector == 14 ? vcpu.readSregsRaw().getLong(Vcpu.SREGS_CR2) : 0;
    if ((cs & 3) == 3 && rip != -1) {
      // a fault of the program: its handler for the signal runs, if it has one
      long[] regs = currentRegisters();
      regs[Vcpu.RIP] = rip;
      regs[Vcpu.RSP] = memory.readLong(rsp + (err ? 32 : 24));
      regs[Vcpu.RFLAGS] = memory.readLong(rsp + (err ? 24 : 16));
      int code = switch (vector) {
        case 14 -> (errorCode & 1) != 0 ? 2 : 1; // SEGV_ACCERR, SEGV_MAPERR
        case 6 -> 2; // ILL_ILLOPN
        case 0 -> 1; // FPE_INTDIV
        case 3 -> 1; // TRAP_BRKPT (reported as SI_KERNEL by Linux for int3; close enough)
        default -> 0x80; // SI_KERNEL
      };
      long[] handler = signals.deliver(signal, code, vector == 14 ? cr2 : vector == 13 ? 0 : rip, regs, vector,
          errorCode);
      if (handler != null) {
        returnToUser(handler);
        return null;
      }
    }
    if (vector == 14) {
      boolean present = (errorCode & 1) != 0;
      boolean write = (errorCode & 2) != 0;
      boolean fetch = (errorCode & 16) != 0;
      String access = fetch ? "instruction fetch from" : write ? "write to" : "read of";
      detail = String.format("page fault: %s %s address 0x%x %s", access,
          present ? "protected" : "unmapped", cr2, where);
    } else if (vector == 13) {
      detail = "general protection fault (" + Supervisor.exceptionName(vector) + ", error code 0x"
          + Long.toHexString(errorCode) + ") " + where;
    } else {
      detail = Supervisor.exceptionName(vector) + " " + where;
    }
    return outcome(Termination.FAULT, 128 + signal, detail);
  }

  private Outcome outcome(Termination t, int code, String detail) {
    Duration wall = Duration.ofNanos(System.nanoTime() - startNanos);
    return new Outcome(t, code, detail, Map.copyOf(unsupported), mm.peakBytes(), wall, syscallCount);
  }

  private String describeStop(Termination t) {
    return switch (t) {
      case TIMEOUT -> "the wall-time limit ran out";
      case CPU_LIMIT -> "the CPU-time limit ran out";
      case OUTPUT_LIMIT -> "output limit exceeded";
      case KILLED -> "killed";
      default -> t.toString();
    };
  }

  // ---- control from other threads ------------------------------------------------------------------------------

  /** Stops the run with {@code reason}; the vCPU is kicked until it notices. Safe from any thread. */
  public void stop(Termination reason) {
    if (stopReason == null) {
      stopReason = reason;
    }
    kickUntilStopped();
  }

  private void kickUntilStopped() {
    if (!running) {
      return;
    }
    vcpu.kick();
    // A signal can race with the vCPU thread entering KVM_RUN; kick again until the loop has ended.
    KICKS.schedule(this::kickUntilStopped, 2, TimeUnit.MILLISECONDS);
  }

  boolean stopRequested() {
    return stopReason != null;
  }

  /** Sleeps until {@code untilNanos} (System.nanoTime); false when the run must stop first. */
  boolean sleepUntil(long untilNanos) {
    while (stopReason == null) {
      long left = untilNanos - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      try {
        Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  // ---- for the system calls -----------------------------------------------------------------------------------

  private static final String[] SIGNALS = {"", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
      "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM"};
  private int pendingSignal;
  private boolean sigreturn;

  /** The program sent itself {@code signal} (not ignored): delivered to its handler, or the run ends. */
  void signalSelf(int signal) {
    pendingSignal = signal;
  }

  long requestSigreturn() {
    sigreturn = true;
    return 0;
  }

  long exit(int status) {
    exited = true;
    exitStatus = status;
    return 0;
  }

  void outputLimitReached() {
    if (stopReason == null) {
      stopReason = Termination.OUTPUT_LIMIT;
    }
  }

  void countUnsupported(String name) {
    unsupported.merge(name, 1L, Long::sum);
  }

  long nextIno() {
    return nextIno++;
  }

  void setFsBase(long base) {
    // through the segment register, not MSR_FS_BASE: PVM hosts ignore a write of that MSR from the VMM
    vcpu.readSregsRaw().setLong(Vcpu.SREGS_FS_BASE, base);
    vcpu.writeSregsRaw();
    fsBase = base;
  }

  void setGsBase(long base) {
    vcpu.readSregsRaw().setLong(Vcpu.SREGS_GS_BASE, base);
    vcpu.writeSregsRaw();
    gsBase = base;
  }

  /** The x86-64 number of the system call named {@code name}, or -1 when Linux has no such call. */
  public static int syscallNumber(String name) {
    return SyscallNames.number(name);
  }

  /** The system-call dispatcher, for tests that call it without running the guest. */
  Syscalls syscallsForTest() {
    return syscalls;
  }

  /** The vCPU, for benchmarks and tests of the VMM core. */
  public Vcpu vcpu() {
    return vcpu;
  }

  /**
   * Stops a run in progress (it ends KILLED), waits for the vCPU loop to leave KVM_RUN, then releases the VM: every
   * file descriptor and mapping. Idempotent.
   */
  @Override
  public void close() {
    stop(Termination.KILLED);
    runLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      fds.closeAll();
      vm.close();
    } finally {
      runLock.unlock();
    }
  }
}
