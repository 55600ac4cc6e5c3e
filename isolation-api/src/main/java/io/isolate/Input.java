package io.isolate;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/** Where a workload's stdin comes from. The default is {@link #none()}: the guest reads end of file at once. */
public final class Input {
  /** The kinds of stdin. */
  public enum Kind {
    NONE,
    BYTES,
    STREAM,
    /** Written by the application through {@link Execution#stdin()} while the workload runs. */
    PIPE
  }

  private static final Input NONE = new Input(Kind.NONE, null, null);
  private static final Input PIPE = new Input(Kind.PIPE, null, null);

  private final Kind kind;
  private final byte[] bytes;
  private final InputStream stream;

  private Input(Kind kind, byte[] bytes, InputStream stream) {
    this.kind = kind;
    this.bytes = bytes;
    this.stream = stream;
  }

  /** No input: end of file. */
  public static Input none() {
    return NONE;
  }

  /** The given bytes, then end of file. */
  public static Input of(byte[] bytes) {
    return new Input(Kind.BYTES, Objects.requireNonNull(bytes, "bytes").clone(), null);
  }

  /** The given text as UTF-8, then end of file. */
  public static Input of(String text) {
    return of(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Whatever {@code stream} yields until its end; the isolate reads it on its own thread. */
  public static Input from(InputStream stream) {
    return new Input(Kind.STREAM, null, Objects.requireNonNull(stream, "stream"));
  }

  /** A pipe the application writes to through {@link Execution#stdin()}. */
  public static Input pipe() {
    return PIPE;
  }

  public Kind kind() {
    return kind;
  }

  /** The bytes of a {@link Kind#BYTES} input (a copy); empty otherwise. */
  public byte[] bytes() {
    return bytes == null ? new byte[0] : bytes.clone();
  }

  /** The stream of a {@link Kind#STREAM} input. */
  public Optional<InputStream> stream() {
    return Optional.ofNullable(stream);
  }

  @Override
  public String toString() {
    return kind == Kind.BYTES ? "bytes(" + bytes.length + ")" : kind.toString().toLowerCase(java.util.Locale.ROOT);
  }
}
