package io.isolate.junit5;

import io.isolate.IsolateException;

/** A fixture could not be started or did not become ready; the message says which fixture and why. */
public class FixtureException extends IsolateException {
  private static final long serialVersionUID = 1L;

  public FixtureException(String message) {
    super(message);
  }

  public FixtureException(String message, Throwable cause) {
    super(message, cause);
  }
}
