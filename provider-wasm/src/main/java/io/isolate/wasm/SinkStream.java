package io.isolate.wasm;

import io.isolate.spi.OutputSink;
import java.io.OutputStream;

/**
 * A guest's stdout or stderr: bytes go to the shared {@link OutputSink}; when the output budget runs out the
 * owner is told once and the write throws {@link GuestStopped}, which unwinds the guest at once instead of
 * letting it spin on failing writes.
 */
final class SinkStream extends OutputStream {
  /** Told when the budget is exhausted. */
  interface OnLimit {
    void outputLimitReached(long limit);
  }

  private final OutputSink sink;
  private final OnLimit onLimit;

  /** A stream whose sink stops the run itself when the budget runs out (a {@link io.isolate.spi.RunSupervisor}'s). */
  SinkStream(OutputSink sink) {
    this(sink, limit -> { });
  }

  SinkStream(OutputSink sink, OnLimit onLimit) {
    this.sink = sink;
    this.onLimit = onLimit;
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    if (!sink.write(b, off, len)) {
      onLimit.outputLimitReached(sink.budget().limit());
      throw new GuestStopped();
    }
  }

  @Override
  public void close() {
    // the guest closing fd 1 does not close the application's stream
  }

  /** Unwinds a guest that must stop now; the reason has been recorded by whoever threw it. */
  static final class GuestStopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    GuestStopped() {
      super("the guest was stopped", null, false, false);
    }
  }
}
