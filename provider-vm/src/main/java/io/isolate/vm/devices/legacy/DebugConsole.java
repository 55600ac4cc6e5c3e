package io.isolate.vm.devices.legacy;

import io.isolate.vm.vstate.IoDevice;
import io.isolate.vm.vstate.Vcpu;
import java.io.ByteArrayOutputStream;

/**
 * The Bochs/QEMU debug console at port {@link #PORT}: each byte written is one character of output. Output is
 * capped ({@link #limit}) and what is dropped is counted, so a guest cannot fill host memory through it.
 */
public final class DebugConsole implements IoDevice {
  public static final int PORT = 0xE9;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final int limit;
  private long written;
  private long dropped;

  public DebugConsole(int limit) {
    this.limit = limit;
  }

  @Override
  public synchronized void out(Vcpu vcpu, int port, int size, long value) {
    written++;
    if (bytes.size() < limit) {
      bytes.write((int) value);
    } else {
      dropped++;
    }
  }

  /** Reading the port answers 0xE9, as Bochs does, so guests can detect the console. */
  @Override
  public long in(Vcpu vcpu, int port, int size) {
    return PORT;
  }

  public synchronized byte[] output() {
    return bytes.toByteArray();
  }

  /** Every byte the guest wrote, kept or not. */
  public synchronized long written() {
    return written;
  }

  public synchronized long dropped() {
    return dropped;
  }
}
