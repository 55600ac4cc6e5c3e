package io.isolate;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A lifecycle event of an isolate, given to the listener set with {@link Isolate.Builder#events}.
 *
 * <pre>{@code
 * Isolate.builder()...events(event -> log.info(event.type() + " " + event.isolateId())).build();
 * }</pre>
 */
public final class IsolateEvent {

  /** The kinds of event, in the order an isolate goes through them. */
  public enum Type {
    CREATED,
    STARTED,
    /** The workload ended by itself (exit, trap, fault) or failed to start; the result says which. */
    EXITED,
    /** The workload was killed from outside. */
    KILLED,
    /** The workload was stopped by a limit; the result says which. */
    LIMIT_EXCEEDED,
    CLOSED
  }

  private final Type type;
  private final String isolateId;
  private final IsolationLevel level;
  private final String provider;
  private final Instant timestamp;
  private final ExitResult result;

  /** Creates an event; {@code result} is null except for EXITED, KILLED and LIMIT_EXCEEDED. */
  public IsolateEvent(Type type, String isolateId, IsolationLevel level, String provider, Instant timestamp,
      ExitResult result) {
    this.type = Objects.requireNonNull(type, "type");
    this.isolateId = Objects.requireNonNull(isolateId, "isolateId");
    this.level = Objects.requireNonNull(level, "level");
    this.provider = Objects.requireNonNull(provider, "provider");
    this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
    this.result = result;
  }

  public Type type() {
    return type;
  }

  public String isolateId() {
    return isolateId;
  }

  public IsolationLevel level() {
    return level;
  }

  /** The name of the provider that implements the level. */
  public String provider() {
    return provider;
  }

  public Instant timestamp() {
    return timestamp;
  }

  public Optional<ExitResult> result() {
    return Optional.ofNullable(result);
  }

  @Override
  public String toString() {
    return type + " " + isolateId + " (" + level + ", " + provider + ") at " + timestamp
        + (result == null ? "" : ": " + result);
  }
}
