package io.isolate;

/**
 * The requested isolation level cannot be provided on this host, or not for this kind of workload. The message
 * says exactly why (for example "/dev/kvm: permission denied"); {@link Isolates#doctor()} reports every level.
 */
public class LevelUnavailableException extends IsolateException {
  private static final long serialVersionUID = 1L;
  private final IsolationLevel level;

  public LevelUnavailableException(IsolationLevel level, String reason) {
    super("isolation level " + level + " is unavailable: " + reason);
    this.level = level;
  }

  /** The level that was asked for. */
  public IsolationLevel level() {
    return level;
  }
}
