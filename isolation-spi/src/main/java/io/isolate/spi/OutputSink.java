package io.isolate.spi;

import io.isolate.Output;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One of a workload's output streams, delivered to its {@link Output} destination and counted against a budget
 * shared with the other stream. Every provider uses this class, so that capping behaves the same at every
 * level: bytes up to the budget are delivered, the rest are dropped, and {@link Budget#exceeded()} turns true.
 */
public final class OutputSink {
  /** The output limit shared by stdout and stderr. */
  public static final class Budget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private volatile boolean exceeded;

    public Budget(long limit) {
      this.limit = limit;
    }

    /** Takes up to {@code wanted} bytes from the budget and returns how many were granted. */
    long take(long wanted) {
      while (true) {
        long before = used.get();
        long granted = Math.min(wanted, Math.max(0, limit - before));
        if (used.compareAndSet(before, before + granted)) {
          if (granted < wanted) {
            exceeded = true;
          }
          return granted;
        }
      }
    }

    /** True once a workload wrote more than the limit. */
    public boolean exceeded() {
      return exceeded;
    }

    /** Bytes written so far, up to the limit. */
    public long used() {
      return used.get();
    }

    public long limit() {
      return limit;
    }
  }

  private final Output destination;
  private final Budget budget;
  private final ByteArrayOutputStream captured;
  private final OutputStream stream;
  private final Runnable onOverflow;
  private volatile IOException streamFailure;

  public OutputSink(Output destination, Budget budget) {
    this(destination, budget, () -> { });
  }

  /**
   * @param onOverflow run (on the writing thread) each time bytes are dropped because the budget ran out: a
   *     {@link RunSupervisor} stops the run with {@link io.isolate.Termination#OUTPUT_LIMIT} there
   */
  public OutputSink(Output destination, Budget budget, Runnable onOverflow) {
    this.onOverflow = onOverflow;
    this.destination = destination;
    this.budget = budget;
    this.captured = destination.kind() == Output.Kind.CAPTURE ? new ByteArrayOutputStream() : null;
    this.stream = destination.stream().orElse(null);
  }

  /**
   * Delivers {@code len} bytes, or as many as the budget allows.
   *
   * @return false when some bytes were dropped because the budget ran out (the overflow action has run then)
   */
  public boolean write(byte[] bytes, int off, int len) {
    long granted = budget.take(len);
    if (granted > 0) {
      deliver(bytes, off, (int) granted);
    }
    if (granted < len) {
      onOverflow.run();
      return false;
    }
    return true;
  }

  private void deliver(byte[] bytes, int off, int len) {
    switch (destination.kind()) {
      case CAPTURE -> {
        synchronized (captured) {
          captured.write(bytes, off, len);
        }
      }
      case STREAM -> {
        try {
          synchronized (stream) {
            stream.write(bytes, off, len);
            stream.flush();
          }
        } catch (IOException e) {
          // The application's stream failed; the workload goes on, its output is lost, and the failure is kept.
          streamFailure = e;
        }
      }
      case DISCARD -> {
        // counted, not kept
      }
    }
  }

  /** The bytes kept so far; empty unless the destination is {@link Output#capture()}. */
  public byte[] captured() {
    if (captured == null) {
      return new byte[0];
    }
    synchronized (captured) {
      return captured.toByteArray();
    }
  }

  /** An {@link OutputStream} view that drops what exceeds the budget (for code that wants a stream). */
  public OutputStream asStream() {
    return new OutputStream() {
      @Override
      public void write(int b) {
        OutputSink.this.write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        OutputSink.this.write(b, off, len);
      }
    };
  }

  /** Rethrows a failure of the application's destination stream, if there was one. */
  public void checkStream() {
    if (streamFailure != null) {
      throw new UncheckedIOException("output stream failed", streamFailure);
    }
  }

  public Budget budget() {
    return budget;
  }
}
