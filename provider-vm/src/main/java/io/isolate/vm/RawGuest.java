package io.isolate.vm;

import io.isolate.vm.arch.x86_64.CpuSetup;
import io.isolate.vm.arch.x86_64.PageTables;
import io.isolate.vm.arch.x86_64.Supervisor;
import io.isolate.vm.devices.legacy.DebugConsole;
import io.isolate.vm.devices.legacy.ExitPort;
import io.isolate.vm.kvm.Kvm;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.vstate.IoBus;
import io.isolate.vm.vstate.Vcpu;
import io.isolate.vm.vstate.Vm;

/**
 * A VM running a few bytes of machine code in supervisor mode, with the legacy devices on its I/O bus: the VMM
 * core without the Linux personality, for measuring the bare exit cost and testing the core.
 */
final class RawGuest implements AutoCloseable {
  static final long CODE = 0x10000;
  private static final long SPACE = 2 << 20;

  private final Vm vm;
  private final Vcpu vcpu;
  private final IoBus bus = new IoBus();
  final DebugConsole console = new DebugConsole(1 << 16);
  final ExitPort exitPort = new ExitPort();

  RawGuest(byte[] code, long rcx) {
    KvmDevice kvm = KvmDevice.get();
    vm = Vm.create(kvm, SPACE + PageTables.footprint(SPACE));
    try {
      vcpu = vm.createVcpu();
      Supervisor.install(vm.memory());
      PageTables tables = PageTables.create(vm.memory(), SPACE, SPACE);
      tables.map(Supervisor.GDT, 0x3000, true, false, false, false);
      tables.map(Supervisor.CODE, 0x1000, true, false, true, false);
      tables.map(Supervisor.STACK_BOTTOM, Supervisor.STACK_TOP - Supervisor.STACK_BOTTOM, true, true, false, false);
      tables.map(CODE, 0x1000, true, false, true, false);
      vm.memory().write(CODE, code);
      CpuSetup.configure(kvm, vcpu, tables.root());
      long[] regs = new long[18];
      regs[Vcpu.RIP] = CODE;
      regs[Vcpu.RSP] = Supervisor.STACK_TOP;
      regs[Vcpu.RFLAGS] = 2;
      regs[Vcpu.RCX] = rcx;
      vcpu.setRegs(regs);
      bus.register(DebugConsole.PORT, 1, console);
      bus.register(ExitPort.PORT, 1, exitPort);
    } catch (RuntimeException e) {
      vm.close();
      throw e;
    }
  }

  /** Runs until the exit port is written; returns the number of exits taken. */
  long run() {
    long exits = 0;
    while (!exitPort.exited()) {
      int reason = vcpu.run();
      exits++;
      if (reason != Kvm.KVM_EXIT_IO) {
        throw new KvmException("raw guest stopped with exit reason " + reason + " at rip 0x"
            + Long.toHexString(vcpu.reg(Vcpu.RIP)));
      }
      int port = vcpu.runArea().getShort(Kvm.Run.IO_PORT) & 0xFFFF;
      if (port >= Supervisor.EXCEPTION_PORT && port < Supervisor.EXCEPTION_PORT + Supervisor.EXCEPTION_VECTORS) {
        throw new KvmException("raw guest raised " + Supervisor.exceptionName(port - Supervisor.EXCEPTION_PORT));
      }
      bus.dispatch(vcpu);
    }
    return exits;
  }

  @Override
  public void close() {
    vm.close();
  }
}
