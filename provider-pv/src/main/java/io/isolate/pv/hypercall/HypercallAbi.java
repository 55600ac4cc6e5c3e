package io.isolate.pv.hypercall;

/**
 * The numbers of the PARAVIRT hypercall ABI, version 1.0, as documented in {@code provider-pv/ABI.md} and in the
 * guest SDK's {@code isolate_guest.h} (which must agree; a test checks it).
 *
 * <p>A hypercall is {@code out $PORT, %eax} (a 4-byte port write, so the port is an 8-bit immediate) with the call
 * number in EAX and arguments in RDI, RSI, RDX and R10. The host puts the result in RAX: a non-negative value on
 * success, a negated errno on failure.
 */
public final class HypercallAbi {
  /** The I/O port hypercalls are written to. */
  public static final int PORT = 0xEC;
  /** ABI version reported by {@link #ABI_VERSION}: major in bits 16-31, minor in bits 0-15. */
  public static final long VERSION = 0x0001_0001L;

  public static final int EXIT = 1;
  public static final int WAIT_FOR_EVENT = 2;
  public static final int LOG = 3;
  public static final int CLOCK = 4;
  public static final int ABI_VERSION = 5;

  /** The largest message one LOG call may carry. */
  public static final int MAX_LOG_BYTES = 4096;
  /** WAIT_FOR_EVENT timeout meaning "no timeout" (the isolate's wall-time limit still applies). */
  public static final long WAIT_FOREVER = -1L;

  public static final int CLOCK_REALTIME = 0;
  public static final int CLOCK_MONOTONIC = 1;

  public static final int EFAULT = 14;
  public static final int EINVAL = 22;
  public static final int ENOSYS = 38;

  private HypercallAbi() {}
}
