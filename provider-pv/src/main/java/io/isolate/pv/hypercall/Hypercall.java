package io.isolate.pv.hypercall;

import java.nio.charset.StandardCharsets;

/**
 * One decoded hypercall: what the guest asked for, with every argument validated. Produced by
 * {@link HypercallDecoder}; the VMM executes it and writes the result to RAX.
 */
public sealed interface Hypercall {
  /** EXIT: the guest ends with {@code code} (0-255). */
  record Exit(int code) implements Hypercall {}

  /**
   * WAIT_FOR_EVENT: block the vCPU until a device raises an interrupt or {@code timeoutNanos} pass; 0 polls,
   * {@link HypercallAbi#WAIT_FOREVER} waits without a timeout. Returns the bit mask of device slots with a pending
   * interrupt (0 on timeout).
   */
  record WaitForEvent(long timeoutNanos) implements Hypercall {}

  /** LOG: a message of at most {@link HypercallAbi#MAX_LOG_BYTES}, copied out of guest memory. Returns 0. */
  record Log(Level level, byte[] message) implements Hypercall {
    public String text() {
      return new String(message, StandardCharsets.UTF_8);
    }
  }

  /** LOG levels, in ABI order. */
  enum Level {
    DEBUG,
    INFO,
    WARN,
    ERROR
  }

  /** CLOCK: returns the nanoseconds of {@code clock}. */
  record Clock(ClockId clock) implements Hypercall {}

  /** Clock ids, in ABI order. */
  enum ClockId {
    /** Nanoseconds since the Unix epoch. */
    REALTIME,
    /** Nanoseconds since an arbitrary fixed point; never goes back. */
    MONOTONIC
  }

  /** ABI_VERSION: returns {@link HypercallAbi#VERSION}. */
  record AbiVersion() implements Hypercall {}

  /** A hypercall that breaks the ABI: the guest gets {@code -errno} in RAX; {@code reason} is for the host log. */
  record Rejected(int errno, String reason) implements Hypercall {
    /** The value to put in RAX. */
    public long rax() {
      return -errno;
    }
  }
}
