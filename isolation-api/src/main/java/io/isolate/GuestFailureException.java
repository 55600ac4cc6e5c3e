package io.isolate;

/**
 * A call into a live isolate did not return normally: the guest trapped or faulted, ran past its time, hit a
 * limit, or the isolate was closed. {@link #termination()} says which; the message carries the guest's words.
 */
public class GuestFailureException extends IsolateException {
  private static final long serialVersionUID = 1L;
  private final Termination termination;

  public GuestFailureException(Termination termination, String message) {
    super(termination + ": " + message);
    this.termination = termination;
  }

  public GuestFailureException(Termination termination, String message, Throwable cause) {
    super(termination + ": " + message, cause);
    this.termination = termination;
  }

  /** Why the call ended. */
  public Termination termination() {
    return termination;
  }
}
