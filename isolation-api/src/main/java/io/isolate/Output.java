package io.isolate;

import java.io.OutputStream;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a workload's stdout or stderr goes. The default is {@link #capture()}: kept in memory and returned in
 * {@link ExitResult}, never shown on the host's terminal. Whatever the destination, the workload's total output
 * is capped by {@link Limits#outputBytes()}.
 */
public final class Output {
  /** The kinds of destination. */
  public enum Kind {
    CAPTURE,
    DISCARD,
    STREAM
  }

  private static final Output CAPTURE = new Output(Kind.CAPTURE, null);
  private static final Output DISCARD = new Output(Kind.DISCARD, null);

  private final Kind kind;
  private final OutputStream stream;

  private Output(Kind kind, OutputStream stream) {
    this.kind = kind;
    this.stream = stream;
  }

  /** Kept in memory, returned by {@link ExitResult#stdout()} or {@link ExitResult#stderr()}. */
  public static Output capture() {
    return CAPTURE;
  }

  /** Thrown away (still counted against the output limit). */
  public static Output discard() {
    return DISCARD;
  }

  /**
   * Written to {@code stream} as it comes, from the isolate's own thread; the stream is flushed but not closed.
   */
  public static Output to(OutputStream stream) {
    return new Output(Kind.STREAM, Objects.requireNonNull(stream, "stream"));
  }

  public Kind kind() {
    return kind;
  }

  /** The stream of a {@link Kind#STREAM} output. */
  public Optional<OutputStream> stream() {
    return Optional.ofNullable(stream);
  }

  @Override
  public String toString() {
    return kind.toString().toLowerCase(java.util.Locale.ROOT);
  }
}
