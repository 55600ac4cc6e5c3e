package io.isolate.pv.hypercall;

import io.isolate.pv.virtio.QueueMemory;
import java.util.Objects;

/**
 * Turns a port-I/O exit on {@link HypercallAbi#PORT} plus the guest's registers into a validated {@link Hypercall}.
 * Pure: it reads guest memory only to copy a LOG message, keeps no state, and never throws on guest input.
 *
 * <pre>{@code
 * HypercallDecoder decoder = new HypercallDecoder(memory);
 * Hypercall call = decoder.decode(exit.port(), exit.size(), exit.isWrite(), exit.data(), registers);
 * if (call instanceof Hypercall.Exit exit) { ... }
 * }</pre>
 */
public final class HypercallDecoder {
  /** The general-purpose registers a hypercall reads (all 64 bits as the guest left them). */
  public record Registers(long rax, long rdi, long rsi, long rdx, long r10) {}

  private final QueueMemory memory;

  public HypercallDecoder(QueueMemory memory) {
    this.memory = Objects.requireNonNull(memory, "memory");
  }

  /**
   * Decodes one port access.
   *
   * @param port the I/O port of the exit
   * @param size the access width in bytes
   * @param write true for {@code out}, false for {@code in}
   * @param data the value written (the low {@code size} bytes of EAX for {@code out})
   * @param regs the guest registers at the exit
   */
  public Hypercall decode(int port, int size, boolean write, long data, Registers regs) {
    if (port != HypercallAbi.PORT) {
      return reject(HypercallAbi.EINVAL, "port 0x" + Integer.toHexString(port) + " is not the hypercall port 0x"
          + Integer.toHexString(HypercallAbi.PORT));
    }
    if (!write || size != 4) {
      return reject(HypercallAbi.EINVAL, (write ? "out" : "in") + " of " + size
          + " bytes on the hypercall port (a hypercall is a 4-byte out of EAX)");
    }
    int number = (int) data;
    return switch (number) {
      case HypercallAbi.EXIT -> exit(regs);
      case HypercallAbi.WAIT_FOR_EVENT -> waitForEvent(regs);
      case HypercallAbi.LOG -> log(regs);
      case HypercallAbi.CLOCK -> clock(regs);
      case HypercallAbi.ABI_VERSION -> new Hypercall.AbiVersion();
      default -> reject(HypercallAbi.ENOSYS, "hypercall number " + Integer.toUnsignedString(number)
          + " is not defined (ABI 1.1 defines 1 to 5)");
    };
  }

  private static Hypercall exit(Registers regs) {
    if (regs.rdi() < 0 || regs.rdi() > 255) {
      return reject(HypercallAbi.EINVAL, "EXIT code " + regs.rdi() + " must be in [0, 255]");
    }
    return new Hypercall.Exit((int) regs.rdi());
  }

  private static Hypercall waitForEvent(Registers regs) {
    if (regs.rsi() != 0) {
      return reject(HypercallAbi.EINVAL, "WAIT_FOR_EVENT flags 0x" + Long.toHexString(regs.rsi())
          + " must be 0");
    }
    if (regs.rdi() < 0 && regs.rdi() != HypercallAbi.WAIT_FOREVER) {
      return reject(HypercallAbi.EINVAL, "WAIT_FOR_EVENT timeout " + Long.toUnsignedString(regs.rdi())
          + " ns exceeds 2^63-1 (use ~0 to wait without a timeout)");
    }
    return new Hypercall.WaitForEvent(regs.rdi());
  }

  private Hypercall log(Registers regs) {
    long level = regs.rdi();
    if (level < 0 || level >= Hypercall.Level.values().length) {
      return reject(HypercallAbi.EINVAL, "LOG level " + level + " must be in [0, 3]");
    }
    long address = regs.rsi();
    long length = regs.rdx();
    if (length < 0 || length > HypercallAbi.MAX_LOG_BYTES) {
      return reject(HypercallAbi.EINVAL, "LOG length " + Long.toUnsignedString(length) + " exceeds "
          + HypercallAbi.MAX_LOG_BYTES + " bytes");
    }
    // the same check as every device buffer: the host reads nothing on the guest's behalf that the guest could
    // not read itself, so the VMM's reserved pages are as refused as addresses past the end of RAM
    String why = memory.whyNotUsable(address, length);
    if (why != null) {
      return reject(HypercallAbi.EFAULT, "LOG buffer " + why);
    }
    byte[] message = new byte[(int) length];
    memory.read(address, message, 0, message.length);
    return new Hypercall.Log(Hypercall.Level.values()[(int) level], message);
  }

  private static Hypercall clock(Registers regs) {
    long id = regs.rdi();
    if (id < 0 || id >= Hypercall.ClockId.values().length) {
      return reject(HypercallAbi.EINVAL, "CLOCK id " + id + " must be 0 (realtime) or 1 (monotonic)");
    }
    return new Hypercall.Clock(Hypercall.ClockId.values()[(int) id]);
  }

  private static Hypercall reject(int errno, String reason) {
    return new Hypercall.Rejected(errno, reason);
  }
}
