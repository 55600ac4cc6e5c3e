package io.isolate.vm.linux;

import io.isolate.spi.OutputSink;
import java.nio.ByteBuffer;

/**
 * The guest's stdout or stderr: bytes go to the application's {@link OutputSink}, which caps them against the
 * shared output budget. When the budget runs out the write reports what was accepted and the process is told to
 * stop with OUTPUT_LIMIT.
 */
final class OutputFile extends OpenFile {
  private final OutputSink sink;
  private final Runnable onLimit;
  private final long ino;

  OutputFile(OutputSink sink, Runnable onLimit, long ino) {
    this.sink = sink;
    this.onLimit = onLimit;
    this.ino = ino;
  }

  @Override
  long write(ByteBuffer src) {
    int len = src.remaining();
    byte[] b = new byte[len];
    src.get(b);
    if (!sink.write(b, 0, len)) {
      onLimit.run();
    }
    return len;
  }

  @Override
  Stat stat() {
    return Stat.fifo(ino);
  }
}
