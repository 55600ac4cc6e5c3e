package io.isolate;

/** The isolate was valid and its level available, but the workload could not be set up or started. */
public class StartFailedException extends IsolateException {
  private static final long serialVersionUID = 1L;

  public StartFailedException(String message) {
    super(message);
  }

  public StartFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
