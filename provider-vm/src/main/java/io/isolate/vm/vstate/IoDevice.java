package io.isolate.vm.vstate;

/** A device on the {@link IoBus}: answers port I/O exits of its port range. */
public interface IoDevice {
  /** The guest wrote {@code value} ({@code size} bytes) to {@code port}. */
  void out(Vcpu vcpu, int port, int size, long value);

  /** The guest reads {@code size} bytes from {@code port}; the default reads all ones, as an empty ISA bus. */
  default long in(Vcpu vcpu, int port, int size) {
    return -1L;
  }
}
