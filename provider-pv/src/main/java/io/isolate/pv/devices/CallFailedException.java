package io.isolate.pv.devices;

/**
 * A call over the call port did not produce a result: the guest replied with an error status, broke the framing,
 * or reset the device. {@link #status()} is the reply status ({@link CallFrame#FAILED} for transport failures).
 */
public final class CallFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  CallFailedException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
