package io.isolate.pv.vmm;

import com.sun.jna.Pointer;
import io.isolate.pv.hypercall.Hypercall;
import io.isolate.pv.hypercall.HypercallAbi;
import io.isolate.pv.hypercall.HypercallDecoder;
import io.isolate.pv.virtio.MmioTransport;
import io.isolate.pv.virtio.QueueMemory;
import io.isolate.pv.virtio.VirtioDevice;
import io.isolate.spi.DaemonThreads;
import io.isolate.vm.arch.x86_64.CpuSetup;
import io.isolate.vm.arch.x86_64.Supervisor;
import io.isolate.vm.elf.ElfImage;
import io.isolate.vm.elf.ElfLoader;
import io.isolate.vm.kvm.Kvm;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.vstate.CoalescedMmioRing;
import io.isolate.vm.vstate.GuestMemory;
import io.isolate.vm.vstate.Vcpu;
import io.isolate.vm.vstate.Vm;
import io.isolate.vm.vstate.VmPool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One PARAVIRT micro-VM: a guest image built with the SDK, its virtio devices on the MMIO slots, and a vCPU thread
 * that serves MMIO exits with the {@link MmioTransport}s and port {@code 0xEC} with the hypercall ABI. The PARAVIRT
 * provider ({@code io.isolate.pv.PvIsolationProvider}) wraps it with limits, output and calls.
 *
 * <pre>{@code
 * try (PvMachine vm = PvMachine.start(KvmDevice.get(), image, 64 << 20, List.of(), List.of(console, rng), log)) {
 *   byte[] reply = calls.call("echo", input).get(1, SECONDS);
 * }
 * }</pre>
 *
 * <p>Exits are what a PARAVIRT guest pays for (about 20 µs each on a PVM host), so the machine avoids them where
 * the protocol allows: register writes are buffered by the kernel (coalesced MMIO) and applied before the next
 * exit; QueueNotify writes to transmit queues signal an eventfd in the kernel (ioeventfd, about 7 µs) that a
 * {@link QueueNotifier} thread serves while the guest runs on; the rest (register reads, the console hand-shake,
 * hypercalls) exit to the vCPU thread. VMs come from provider-vm's {@code VmPool} with this set-up done ahead of
 * time, and are torn down in the background.
 */
public final class PvMachine implements AutoCloseable {
  private final Vm vm;
  private final Vcpu vcpu;
  private final CoalescedMmioRing coalesced;
  private final List<MmioTransport> slots = new ArrayList<>();
  private final HypercallDecoder decoder;
  /** Serves the notifications that KVM turns into eventfd signals; null when the host has no ioeventfd. */
  private final QueueNotifier notifier;
  private final Consumer<String> log;
  private final Object events = new Object();
  private final CompletableFuture<PvExit> exit = new CompletableFuture<>();
  /** Counted down when the run loop has ended, before {@link #exit} completes. */
  private final CountDownLatch loopEnded = new CountDownLatch(1);
  /** The thread running this machine's loop while it runs; vCPU threads are reused across machines. */
  private volatile Thread runner;
  private volatile boolean stopping;
  private volatile long exits;
  private volatile long mmioExits;
  private volatile long coalescedWrites;
  private volatile long waits;
  private final AtomicBoolean released = new AtomicBoolean();

  private PvMachine(KvmDevice kvm, byte[] image, long memorySize, List<String> args, List<VirtioDevice> devices,
      Consumer<String> log) {
    this.log = Objects.requireNonNull(log, "log");
    ElfImage elf = ElfLoader.parse(image, 0x200000, memorySize);
    // a fresh VM with its vCPU, never run, CPUID and MSRs set: made ahead of time when the pool has one
    vm = VmPool.take(kvm, memorySize, setupFor(devices));
    try {
      GuestMemory memory = vm.memory();
      Supervisor.install(memory);
      PvLayout.writePageTables(memory, devices.size());
      for (ElfImage.Segment s : elf.segments()) {
        memory.write(s.address(), image, (int) s.fileOffset(), (int) s.fileSize());
      }
      writeBootInfo(memory, elf.end(), devices.size(), args, tscKhz(vm.vcpu()));
      QueueMemory ram = PvLayout.deviceView(memory);
      for (VirtioDevice d : devices) {
        slots.add(new MmioTransport(d, ram, this::interrupt, m -> log.accept("virtio: " + m)));
      }
      decoder = new HypercallDecoder(ram);
      vcpu = vm.vcpu();
      coalesced = vcpu.coalescedMmio();
      CpuSetup.configureSregs(kvm, vcpu, PvLayout.PML4);
      long[] regs = CpuSetup.startRegisters(memory, elf.entry(), 0);
      // the start frame: rip, cs, rflags, rsp, ss; IOPL 3 lets the guest's `out` reach the hypercall port
      memory.writeLong(Supervisor.START_FRAME + 16, CpuSetup.RFLAGS_BASE | 0x3000);
      regs[Vcpu.RDI] = PvLayout.BOOT_INFO;
      vcpu.setRegs(regs);
      notifier = QueueNotifier.register(vm, slots, this::wakeForDeferredNotification); // last: nothing after fails
    } catch (RuntimeException e) {
      vm.close();
      throw e;
    }
  }

  /**
   * Threads that run vCPU loops, kept for a minute after a machine ends: starting a thread costs 0.1–1 ms on a busy
   * host, a large part of a PARAVIRT start.
   */
  private static final ExecutorService VCPU_THREADS = DaemonThreads.cached("isolate-pv-vcpu");

  /** The VM set-up of each device layout (see {@link #setupFor}): one object per layout, as the pool requires. */
  private static final ConcurrentMap<List<List<Integer>>, Consumer<Vm>> SETUPS = new ConcurrentHashMap<>();

  /**
   * What a VM pool does ahead of time for a PARAVIRT machine with these devices: CPUID and MSRs; prefaulting the
   * pages every boot touches (supervisor, page tables, boot information; the image, its stack and the start of the
   * heap at 4 MiB) so that the guest does not wait for the host kernel's page faults; and registering the
   * coalesced register zones and queue ioeventfds of the device layout, ioctls that cost tens of microseconds.
   * The memory stays zero: fresh. The layout is, per slot, the queues the device wants notified through an
   * eventfd.
   */
  private static Consumer<Vm> setupFor(List<VirtioDevice> devices) {
    List<List<Integer>> layout = new ArrayList<>();
    for (VirtioDevice d : devices) {
      List<Integer> queues = new ArrayList<>();
      for (int q = 0; q < d.queueMaxSizes().length; q++) {
        if (d.notifiesThroughEventfd(q)) {
          queues.add(q);
        }
      }
      layout.add(List.copyOf(queues));
    }
    return SETUPS.computeIfAbsent(List.copyOf(layout), l -> vm -> {
      CpuSetup.configureCpuidAndMsrs(KvmDevice.get(), vm.vcpu());
      GuestMemory memory = vm.memory();
      memory.prefault(0, PvLayout.USER_LOW + 0x1000);
      long image = PvLayout.IMAGE_BASE;
      if (memory.size() > image) {
        memory.prefault(image, Math.min(2L << 20, memory.size() - image));
      }
      coalesceRegisterWrites(vm, l.size());
      for (int slot = 0; slot < l.size(); slot++) {
        for (int q : l.get(slot)) {
          vm.mmioEventfd(notifyAddress(slot), q);
        }
      }
    });
  }

  static long notifyAddress(int slot) {
    return PvLayout.MMIO_BASE + slot * PvLayout.MMIO_STRIDE + MmioTransport.QUEUE_NOTIFY;
  }

  /** Coalesced zones are limited per VM (KVM_COALESCED_MMIO_ZONE_MAX is 100, three per slot here). */
  private static final int MAX_COALESCED_SLOTS = 32;

  /**
   * Lets the guest's register writes be buffered by the kernel instead of exiting one by one: every register of
   * a slot except QueueNotify and InterruptACK, which must reach the device at once. A driver bringing up a device
   * writes tens of registers (status, features, queue addresses); on a PVM host each exit costs about 20 µs, so
   * this is most of a PARAVIRT start. Reads still exit, and {@link #loop()} applies the buffered writes before handling any exit,
   * so the guest never sees a register without its earlier writes; the devices see the same writes in the same
   * order, only later. A notification through an eventfd can overtake writes still buffered: the
   * {@link QueueNotifier} hands those of a device that is not live yet to this thread, which applies the buffered
   * writes first.
   */
  private static void coalesceRegisterWrites(Vm vm, int slotCount) {
    for (int i = 0; i < Math.min(slotCount, MAX_COALESCED_SLOTS); i++) {
      long base = PvLayout.MMIO_BASE + i * PvLayout.MMIO_STRIDE;
      long from = 0;
      for (int excluded : UNCOALESCED_REGISTERS) {
        if (!vm.coalesceMmio(base + from, (int) (excluded - from))) {
          return; // the host has no coalesced MMIO: writes exit, as they always may
        }
        from = excluded + 4;
      }
      vm.coalesceMmio(base + from, (int) (PvLayout.MMIO_STRIDE - from));
    }
  }

  /**
   * Registers whose writes must take effect at once: QueueNotify (the device must act) and InterruptACK (delayed,
   * it could clear an interrupt raised after the guest looked at its rings, and the guest would sleep through it).
   */
  private static final int[] UNCOALESCED_REGISTERS = {MmioTransport.QUEUE_NOTIFY, MmioTransport.INTERRUPT_ACK};

  /**
   * Loads {@code image} (a static guest ELF) into a new VM of {@code memorySize} bytes with {@code devices} in
   * slots 0, 1, ... and starts its vCPU thread.
   */
  public static PvMachine start(KvmDevice kvm, byte[] image, long memorySize, List<String> args,
      List<VirtioDevice> devices, Consumer<String> log) {
    PvMachine m = new PvMachine(kvm, image, memorySize, List.copyOf(args), List.copyOf(devices), log);
    VCPU_THREADS.execute(m::run);
    if (m.notifier != null) {
      VCPU_THREADS.execute(m.notifier);
    }
    return m;
  }

  /** Completes when the guest exits, faults or is stopped. */
  public CompletableFuture<PvExit> exit() {
    return exit;
  }

  /** The transport of device slot {@code slot}. */
  public MmioTransport transport(int slot) {
    return slots.get(slot);
  }

  /** VM exits served so far (MMIO, hypercalls, faults). */
  public long exits() {
    return exits;
  }

  /** MMIO exits served so far (register accesses, QueueNotify writes). */
  public long mmioExits() {
    return mmioExits;
  }

  /** Register writes the kernel buffered instead of exiting ({@link #coalesceRegisterWrites}), applied so far. */
  public long coalescedWrites() {
    return coalescedWrites;
  }

  private static final java.lang.management.ThreadMXBean THREAD_CPU =
      java.lang.management.ManagementFactory.getThreadMXBean();
  private volatile long cpuAtStart = -1;
  private volatile long cpuAtEnd = -1;

  /**
   * CPU time of the vCPU thread since the guest started, in ns: the guest's own code and the exits served for it
   * (the notification thread's work is not counted); -1 before the start or without thread CPU time.
   */
  public long cpuTimeNanos() {
    if (loopEnded.getCount() == 0) {
      return cpuAtEnd;
    }
    Thread t = runner;
    long start = cpuAtStart;
    if (t == null || start < 0) {
      return -1;
    }
    long now = THREAD_CPU.getThreadCpuTime(t.getId());
    return now < 0 || runner != t ? -1 : now - start;
  }

  /** Queue notifications that reached the devices through an ioeventfd, without an exit, so far. */
  public long eventfdNotifications() {
    return notifier == null ? 0 : notifier.served();
  }

  /** WAIT_FOR_EVENT hypercalls served so far (the guest blocked because its rings had no work). */
  public long waits() {
    return waits;
  }

  /** The TSC frequency KVM reports; the same for every vCPU of this host, so asked once (an ioctl) per JVM. */
  private static volatile long tscKhz = -1;

  private static long tscKhz(Vcpu vcpu) {
    long khz = tscKhz;
    if (khz < 0) {
      khz = vcpu.tscKhz();
      tscKhz = khz;
    }
    return khz;
  }

  private static void writeBootInfo(GuestMemory memory, long imageEnd, int slots, List<String> args, long tscKhz) {
    ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
    int argvAt = 72;
    int stringsAt = argvAt + 8 * (args.size() + 2);
    List<Long> pointers = new ArrayList<>();
    b.position(stringsAt);
    for (String a : List.of(List.of("guest"), args).stream().flatMap(List::stream).toList()) {
      byte[] s = a.getBytes(StandardCharsets.UTF_8);
      if (b.remaining() < s.length + 1) {
        throw new IllegalArgumentException("guest arguments exceed " + (4096 - stringsAt) + " bytes");
      }
      pointers.add(PvLayout.BOOT_INFO + b.position());
      b.put(s).put((byte) 0);
    }
    b.position(argvAt);
    for (long p : pointers) {
      b.putLong(p);
    }
    b.putLong(0);
    b.putInt(0, 0x424f4f54).putInt(4, (int) HypercallAbi.VERSION).putLong(8, memory.size())
        .putLong(16, imageEnd).putLong(24, memory.size()).putLong(32, PvLayout.MMIO_BASE)
        .putInt(40, (int) PvLayout.MMIO_STRIDE).putInt(44, slots).putLong(48, pointers.size())
        .putLong(56, PvLayout.BOOT_INFO + argvAt).putLong(64, tscKhz);
    memory.write(PvLayout.BOOT_INFO, b.array());
  }

  /** The notifier deferred a notification to this thread: leave the guest, or a WAIT_FOR_EVENT, to replay it. */
  private void wakeForDeferredNotification() {
    vcpu.kick();
    interrupt();
  }

  private void interrupt() {
    synchronized (events) {
      events.notifyAll();
    }
  }

  private void run() {
    runner = Thread.currentThread();
    cpuAtStart = THREAD_CPU.isCurrentThreadCpuTimeSupported() ? THREAD_CPU.getCurrentThreadCpuTime() : -1;
    Thread.interrupted(); // a pooled thread may come with the flag of its last task
    PvExit result;
    try {
      result = loop();
    } catch (RuntimeException | InterruptedException e) {
      result = stopping ? PvExit.killed("closed") : PvExit.fault("VMM failure: " + e);
    }
    cpuAtEnd = cpuAtStart < 0 ? -1 : THREAD_CPU.getCurrentThreadCpuTime() - cpuAtStart;
    loopEnded.countDown();
    try {
      exit.complete(result); // callbacks may close this machine, here on its vCPU thread
    } finally {
      runner = null;
      Thread.interrupted(); // the pooled thread starts its next task uninterrupted
    }
  }

  private boolean onVcpuThread() {
    return Thread.currentThread() == runner;
  }

  private PvExit loop() throws InterruptedException {
    Pointer run = vcpu.runArea();
    while (true) {
      if (stopping) {
        return PvExit.killed("closed");
      }
      int reason = vcpu.run();
      exits++;
      if (coalesced != null) {
        coalescedWrites += coalesced.drain(this::mmioWrite);
      }
      if (notifier != null) {
        notifier.replayDeferred(); // notifications that came ahead of the buffered writes they depend on
      }
      switch (reason) {
        case Kvm.KVM_EXIT_IO -> {
          int port = run.getShort(Kvm.Run.IO_PORT) & 0xffff;
          int size = run.getByte(Kvm.Run.IO_SIZE);
          boolean out = run.getByte(Kvm.Run.IO_DIRECTION) == 1;
          long dataAt = run.getLong(Kvm.Run.IO_DATA_OFFSET);
          long data = size == 4 ? run.getInt(dataAt) & 0xffff_ffffL : size == 2 ? run.getShort(dataAt) & 0xffff
              : run.getByte(dataAt) & 0xff;
          if (port >= Supervisor.EXCEPTION_PORT && port < Supervisor.EXCEPTION_PORT + Supervisor.EXCEPTION_VECTORS) {
            int vector = port - Supervisor.EXCEPTION_PORT;
            if (vector == GP_VECTOR && isTrappedHypercall()) {
              PvExit done = trappedHypercall();
              if (done != null) {
                return done;
              }
              continue;
            }
            if (vector == PF_VECTOR && faultRip(vector) == Supervisor.SYSCALL_STUB) {
              // on PVM hosts `syscall` jumps to LSTAR but stays in user mode, so the stub's fetch faults
              return PvExit.fault("the guest made system call " + vcpu.reg(Vcpu.RAX)
                  + "; PARAVIRT guests use hypercalls (ABI.md)");
            }
            return PvExit.fault(describeException(vector));
          }
          if (port == Supervisor.SYSCALL_PORT) {
            return PvExit.fault("the guest made system call " + vcpu.reg(Vcpu.RAX)
                + "; PARAVIRT guests use hypercalls (ABI.md)");
          }
          if (port != HypercallAbi.PORT) {
            if (!out) {
              run.setInt(dataAt, -1); // nothing answers: all ones, as on a PC
            }
            continue;
          }
      PvExit done = hypercall(decoder.decode(port, size, out, data, new HypercallDecoder.Registers(
              vcpu.reg(Vcpu.RAX), vcpu.reg(Vcpu.RDI), vcpu.reg(Vcpu.RSI), vcpu.reg(Vcpu.RDX), vcpu.reg(Vcpu.R10))));
          if (done != null) {
            return done;
          }
        }
        case Kvm.KVM_EXIT_MMIO -> {
          mmioExits++;
          mmio(run);
        }
        case Kvm.KVM_EXIT_INTR -> {
          vcpu.clearKick();
          if (notifier != null) {
            notifier.replayDeferred(); // deferred before its kick, which clearKick may just have erased
          }
        }
        case Kvm.KVM_EXIT_HLT -> {
          return PvExit.fault("the guest halted at rip 0x" + Long.toHexString(vcpu.reg(Vcpu.RIP)));
        }
        case Kvm.KVM_EXIT_SHUTDOWN -> {
          return PvExit.fault("triple fault at rip 0x" + Long.toHexString(vcpu.reg(Vcpu.RIP)));
        }
        default -> {
          return PvExit.fault("unexpected VM exit " + reason + " at rip 0x" + Long.toHexString(vcpu.reg(Vcpu.RIP)));
        }
      }
    }
  }

  private static final int GP_VECTOR = 13;
  private static final int PF_VECTOR = 14;

  private long faultRip(int vector) {
    long frame = vcpu.reg(Vcpu.RSP) + (Supervisor.hasErrorCode(vector) ? 8 : 0);
    return vm.memory().readLong(frame);
  }
  private static final byte[] OUT_EAX_HYPERCALL = {(byte) 0xe7, (byte) HypercallAbi.PORT};

  /**
   * Whether a #GP came from the guest's {@code out %eax, $0xEC}. Hosts that do not let guest user mode have IOPL 3
   * (a PVM host ignores it) turn the port write into a #GP; the exception stub then exits with the frame
   * (error code, rip, cs, rflags, rsp, ss) on the supervisor stack, and the host serves the hypercall from there.
   */
  private boolean isTrappedHypercall() {
    GuestMemory m = vm.memory();
    long frame = vcpu.reg(Vcpu.RSP);
    long rip = m.readLong(frame + 8);
    long cs = m.readLong(frame + 16);
    if ((cs & 3) != 3 || rip < PvLayout.USER_LOW || rip > m.size() - 2) {
      return false;
    }
    byte[] insn = m.read(rip, 2);
    return insn[0] == OUT_EAX_HYPERCALL[0] && insn[1] == OUT_EAX_HYPERCALL[1];
  }

  /** Serves a trapped hypercall and resumes the guest after the {@code out} through the exception stub's iretq. */
  private PvExit trappedHypercall() throws InterruptedException {
    GuestMemory m = vm.memory();
    long frame = vcpu.reg(Vcpu.RSP);
    long rax = vcpu.reg(Vcpu.RAX);
    PvExit done = hypercall(decoder.decode(HypercallAbi.PORT, 4, true, rax & 0xffff_ffffL,
        new HypercallDecoder.Registers(rax, vcpu.reg(Vcpu.RDI), vcpu.reg(Vcpu.RSI), vcpu.reg(Vcpu.RDX),
            vcpu.reg(Vcpu.R10))));
    if (done == null) {
      m.writeLong(frame + 8, m.readLong(frame + 8) + OUT_EAX_HYPERCALL.length);
      vcpu.setReg(Vcpu.RSP, frame + 8); // drop the error code: iretq pops rip, cs, rflags, rsp, ss
    }
    return done;
  }

  private void mmio(Pointer run) {
    long address = run.getLong(Kvm.Run.MMIO_PHYS_ADDR);
    int len = run.getInt(Kvm.Run.MMIO_LEN);
    if (run.getByte(Kvm.Run.MMIO_IS_WRITE) != 0) {
      if (len >= 1 && len <= 8) {
        long value = run.getLong(Kvm.Run.MMIO_DATA);
        mmioWrite(address, len, len == 8 ? value : value & ((1L << (8 * len)) - 1));
      }
      return;
    }
    MmioTransport t = slotAt(address);
    long value = t != null && len >= 1 && len <= 8 ? t.read((address - PvLayout.MMIO_BASE) % PvLayout.MMIO_STRIDE, len)
        : 0;
    run.setLong(Kvm.Run.MMIO_DATA, value);
  }

  /** The transport whose window holds guest-physical {@code address}, or null. */
  private MmioTransport slotAt(long address) {
    long offset = address - PvLayout.MMIO_BASE;
    long slot = offset < 0 ? -1 : offset / PvLayout.MMIO_STRIDE;
    return slot >= 0 && slot < slots.size() ? slots.get((int) slot) : null;
  }

  /** A guest write of {@code len} bytes to guest-physical {@code address}, from an exit or the coalesced ring. */
  private void mmioWrite(long address, int len, long value) {
    MmioTransport t = slotAt(address);
    if (t != null) {
      t.write((address - PvLayout.MMIO_BASE) % PvLayout.MMIO_STRIDE, len, value);
    }
  }

  /** Executes a decoded hypercall; returns the run's end for EXIT, else null after setting RAX. */
  private PvExit hypercall(Hypercall h) throws InterruptedException {
    long rax;
    if (h instanceof Hypercall.Exit e) {
      return PvExit.exited(e.code());
    } else if (h instanceof Hypercall.WaitForEvent w) {
      waits++;
      rax = waitForEvent(w.timeoutNanos());
    } else if (h instanceof Hypercall.Log l) {
      log.accept("guest " + l.level() + ": " + l.text());
      rax = 0;
    } else if (h instanceof Hypercall.Clock c) {
      rax = c.clock() == Hypercall.ClockId.MONOTONIC ? System.nanoTime() : System.currentTimeMillis() * 1_000_000L;
    } else if (h instanceof Hypercall.AbiVersion) {
      rax = HypercallAbi.VERSION;
    } else {
      Hypercall.Rejected r = (Hypercall.Rejected) h;
      log.accept("hypercall rejected: " + r.reason());
      rax = r.rax();
    }
    vcpu.setReg(Vcpu.RAX, rax);
    return null;
  }

  private long waitForEvent(long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime()
        + (timeoutNanos == HypercallAbi.WAIT_FOREVER ? Long.MAX_VALUE / 4 : timeoutNanos);
    synchronized (events) {
      while (true) {
        long mask = 0;
        for (int i = 0; i < slots.size(); i++) {
          if (slots.get(i).acknowledgeInterrupts() != 0) {
            mask |= 1L << i;
          }
        }
        long left = deadline - System.nanoTime();
        if (mask != 0 || left <= 0 || stopping || (notifier != null && notifier.hasDeferred())) {
          return mask;
        }
        long millis = left / 1_000_000;
        events.wait(millis, millis == 0 ? (int) Math.max(1, left) : 0);
      }
    }
  }

  private String describeException(int vector) {
    long frame = vcpu.reg(Vcpu.RSP);
    GuestMemory m = vm.memory();
    long error = -1;
    if (Supervisor.hasErrorCode(vector)) {
      error = m.readLong(frame);
      frame += 8;
    }
    long rip = m.readLong(frame);
    String what = Supervisor.exceptionName(vector) + " at rip 0x" + Long.toHexString(rip);
    if (vector == 14) {
      what += ", address 0x" + Long.toHexString(vcpu.getSregs().cr2);
    }
    return error >= 0 ? what + " (error code 0x" + Long.toHexString(error) + ")" : what;
  }

  /** Asks the guest to stop without waiting: {@link #exit()} completes with KILLED soon. Safe from any thread. */
  public void stop() {
    stopping = true;
    interrupt();
    if (!onVcpuThread()) {
      vcpu.kick(); // takes no lock of ours (a device thread may call this while holding its own); a no-op once closed
    }
  }

  /**
   * Stops the guest (if it still runs) and releases the VM. Idempotent. From the vCPU thread itself (a callback of
   * {@link #exit()}) it does not wait, since the run loop has ended by then.
   *
   * <p>The devices are reset before guest memory is unmapped: a host thread still sending to the guest finishes
   * first (device locks), and later sends find no live queue, so nothing touches the memory once it is gone.
   */
  @Override
  public void close() {
    stop();
    if (!onVcpuThread()) {
      try {
        loopEnded.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    exit.complete(PvExit.killed("closed"));
    if (loopEnded.getCount() > 0) {
      // the vCPU did not stop within 5 s: leaking the VM is better than unmapping memory it may still touch
      log.accept("vCPU thread did not stop; the VM is left mapped");
      return;
    }
    if (!released.compareAndSet(false, true)) {
      return;
    }
    // No lock of ours is held here: a device thread holding a transport lock may call stop() meanwhile.
    for (MmioTransport t : slots) {
      t.reset(); // from here on no host thread reaches guest memory through a device
    }
    // off the caller's path: the notification thread's wake-up, and destroying a VM that ran (0.2 ms to over 1 ms)
    VmPool.closeLater(this::release);
  }

  private void release() {
    if (notifier != null && !notifier.close()) {
      log.accept("the notification thread did not stop; the VM is left mapped");
      return;
    }
    vm.close();
  }
}
