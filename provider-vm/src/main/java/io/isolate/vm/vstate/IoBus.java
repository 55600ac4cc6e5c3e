package io.isolate.vm.vstate;

/**
 * Dispatches port I/O exits to devices by port. Ports without a device read as all ones and ignore writes, as
 * on a PC; a lookup is one array access, since port I/O is on the hot path of every system call.
 */
public final class IoBus {
  private static final int PORTS = 0x10000;
  // two levels, pages of 256 ports allocated on registration: a flat table of 65536 references cost every VM a
  // 256 KiB allocation, though a process's bus is empty
  private final IoDevice[][] pages = new IoDevice[PORTS >> 8][];

  private IoDevice device(int port) {
    IoDevice[] page = pages[(port & 0xFFFF) >> 8];
    return page == null ? null : page[port & 0xFF];
  }

  /** Attaches {@code device} to {@code count} ports from {@code base}; ports must be free. */
  public void register(int base, int count, IoDevice device) {
    if (base < 0 || count <= 0 || base + count > PORTS) {
      throw new IllegalArgumentException("port range 0x" + Integer.toHexString(base) + "+" + count + " is invalid");
    }
    for (int p = base; p < base + count; p++) {
      if (device(p) != null) {
        throw new IllegalStateException("port 0x" + Integer.toHexString(p) + " is taken by " + device(p));
      }
    }
    for (int p = base; p < base + count; p++) {
      if (pages[p >> 8] == null) {
        pages[p >> 8] = new IoDevice[256];
      }
      pages[p >> 8][p & 0xFF] = device;
    }
  }

  public void out(Vcpu vcpu, int port, int size, long value) {
    IoDevice d = device(port);
    if (d != null) {
      d.out(vcpu, port, size, value);
    }
  }

  /**
   * Serves a KVM_EXIT_IO from {@code vcpu}'s kvm_run: every element of a string I/O, in either direction. The
   * data offset and count come from the kernel but are checked against the mapping all the same.
   */
  public void dispatch(Vcpu vcpu) {
    com.sun.jna.Pointer run = vcpu.runArea();
    int port = run.getShort(io.isolate.vm.kvm.Kvm.Run.IO_PORT) & 0xFFFF;
    boolean out = run.getByte(io.isolate.vm.kvm.Kvm.Run.IO_DIRECTION) == io.isolate.vm.kvm.Kvm.KVM_EXIT_IO_OUT;
    int size = run.getByte(io.isolate.vm.kvm.Kvm.Run.IO_SIZE);
    int count = run.getInt(io.isolate.vm.kvm.Kvm.Run.IO_COUNT);
    long dataOffset = run.getLong(io.isolate.vm.kvm.Kvm.Run.IO_DATA_OFFSET);
    if ((size != 1 && size != 2 && size != 4) || count < 1 || dataOffset < io.isolate.vm.kvm.Kvm.Run.SIZE
        || dataOffset + (long) size * count > vcpu.runSize()) {
      return;
    }
    for (int i = 0; i < count; i++) {
      long at = dataOffset + (long) i * size;
      if (out) {
        long v = size == 1 ? run.getByte(at) & 0xFF : size == 2 ? run.getShort(at) & 0xFFFF
            : run.getInt(at) & 0xFFFFFFFFL;
        out(vcpu, port, size, v);
      } else {
        long v = in(vcpu, port, size);
        switch (size) {
          case 1 -> run.setByte(at, (byte) v);
          case 2 -> run.setShort(at, (short) v);
          default -> run.setInt(at, (int) v);
        }
      }
    }
  }

  public long in(Vcpu vcpu, int port, int size) {
    IoDevice d = device(port);
    return d == null ? -1L : d.in(vcpu, port, size);
  }
}
