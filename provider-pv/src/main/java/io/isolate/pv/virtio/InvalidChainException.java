package io.isolate.pv.virtio;

/**
 * A descriptor chain the guest made available breaks one {@link ChainViolation rule}. The chain has been consumed
 * from the available ring: the device returns {@link #headIndex()} to the used ring with length 0 and goes on.
 */
public final class InvalidChainException extends VirtioException {
  private static final long serialVersionUID = 1L;
  private final ChainViolation violation;
  private final int headIndex;

  InvalidChainException(ChainViolation violation, int headIndex, String message) {
    super("descriptor chain at head " + headIndex + ": " + message);
    this.violation = violation;
    this.headIndex = headIndex;
  }

  public ChainViolation violation() {
    return violation;
  }

  /** The head descriptor index, valid (below the queue size) and safe to return to the used ring. */
  public int headIndex() {
    return headIndex;
  }
}
