package io.isolate;

/**
 * The root of every exception this library throws. It is unchecked: callers catch the phase they care about
 * ({@link InvalidSpecException}, {@link LevelUnavailableException}, {@link StartFailedException},
 * {@link GuestFailureException}).
 */
public class IsolateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IsolateException(String message) {
    super(message);
  }

  public IsolateException(String message, Throwable cause) {
    super(message, cause);
  }
}
