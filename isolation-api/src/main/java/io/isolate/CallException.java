package io.isolate;

/**
 * A call the isolate cannot take as asked, refused before the guest runs: no such function, the wrong number or
 * types of arguments, an argument out of range for its type, an input too large, or a workload or level that takes
 * no such calls. The guest is unchanged; a {@link GuestFailureException} is what a call that ran and failed gives.
 */
public class CallException extends IsolateException {
  private static final long serialVersionUID = 1L;

  public CallException(String message) {
    super(message);
  }
}
