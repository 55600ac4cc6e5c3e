package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;

/** One end of a {@link PipeBuffer}: the guest's stdin, or an end of a pipe the guest made with pipe2. */
final class PipeEnd extends OpenFile {
  private static final long PIPE_INO_BASE = 0x70000000L;
  private final PipeBuffer pipe;
  private final boolean readEnd;
  private final BooleanSupplier stop;
  private final long ino;

  PipeEnd(PipeBuffer pipe, boolean readEnd, BooleanSupplier stop, long ino) {
    this.pipe = pipe;
    this.readEnd = readEnd;
    this.stop = stop;
    this.ino = PIPE_INO_BASE + ino;
  }

  @Override
  long read(ByteBuffer dst) {
    return readEnd ? pipe.read(dst, stop) : -Errno.EBADF;
  }

  @Override
  long write(ByteBuffer src) {
    if (readEnd) {
      return -Errno.EBADF;
    }
    byte[] b = new byte[src.remaining()];
    src.get(b);
    return pipe.write(b, 0, b.length, stop);
  }

  int available() {
    return pipe.available();
  }

  boolean isReadEnd() {
    return readEnd;
  }

  boolean writerClosed() {
    return pipe.writerClosed();
  }

  @Override
  Stat stat() {
    return Stat.fifo(ino);
  }

  @Override
  void close() {
    if (readEnd) {
      pipe.closeReader();
    } else {
      pipe.closeWriter();
    }
  }
}
