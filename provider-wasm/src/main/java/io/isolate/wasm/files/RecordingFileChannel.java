package io.isolate.wasm.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A host file's channel that records why an operation failed ({@link HostFailures}) before it throws, so that a full
 * disk reaches the guest as {@code ENOSPC} at the write that caused it. Everything else is the host channel's.
 */
final class RecordingFileChannel extends FileChannel {
  private final FileChannel host;
  private final java.util.concurrent.Semaphore open;

  /** {@code open} counts the file system's open files; closing this channel gives its permit back. */
  RecordingFileChannel(FileChannel host, java.util.concurrent.Semaphore open) {
    this.host = host;
    this.open = open;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    try {
      return host.read(dst);
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    try {
      return host.read(dsts, offset, length);
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    try {
      return host.write(src);
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    try {
      return host.write(srcs, offset, length);
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public long position() throws IOException {
    return host.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    host.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return host.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    try {
      host.truncate(size);
      return this;
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public void force(boolean metaData) throws IOException {
    try {
      host.force(metaData);
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return host.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    try {
      return host.transferFrom(src, position, count);
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    try {
      return host.read(dst, position);
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    try {
      return host.write(src, position);
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    throw new UnsupportedOperationException("a guest's file is not mapped into the JVM");
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return host.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return host.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    try {
      host.close();
    } finally {
      open.release(); // called once: AbstractInterruptibleChannel closes a channel once
    }
  }
}
