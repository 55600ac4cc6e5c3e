package io.isolate;

/** A builder argument or a combination of them is not acceptable; the message names the culprit and its value. */
public class InvalidSpecException extends IsolateException {
  private static final long serialVersionUID = 1L;

  public InvalidSpecException(String message) {
    super(message);
  }

  public InvalidSpecException(String message, Throwable cause) {
    super(message, cause);
  }
}
