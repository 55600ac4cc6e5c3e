package io.isolate.vm.devices.legacy;

import io.isolate.vm.vstate.IoDevice;
import io.isolate.vm.vstate.Vcpu;

/**
 * QEMU's {@code isa-debug-exit} at port {@link #PORT}: a write ends the guest with that value as its status. The
 * vCPU loop asks {@link #exited()} after each exit.
 */
public final class ExitPort implements IoDevice {
  public static final int PORT = 0xF4;

  private volatile boolean exited;
  private volatile int status;

  @Override
  public void out(Vcpu vcpu, int port, int size, long value) {
    status = (int) value;
    exited = true;
  }

  public boolean exited() {
    return exited;
  }

  public int status() {
    return status;
  }
}
