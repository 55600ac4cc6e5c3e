package io.isolate.container.image;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a hostile tar entry by entry, with a bound on what the tar library holds in memory: the bytes between two
 * entries' contents (headers, PAX extended headers, GNU long names and sparse maps) may be at most
 * {@link #MAX_HEADER_BYTES}. The library reads those into memory, so without the bound a tar of a few hundred
 * kilobytes (a gzipped PAX value of repeated bytes) could make it allocate gigabytes. Used for image tarballs and
 * for layers.
 */
final class TarReader implements Closeable {
  /** The most bytes from the end of one entry's content to the start of the next one's. */
  static final long MAX_HEADER_BYTES = 1 << 20;
  /** How often, in bytes of the tar read, the reader's check runs (its deadline): every 8 MiB. */
  static final long CHECK_EVERY = 8L << 20;

  /** Called every {@link #CHECK_EVERY} bytes read, whatever the tar library is doing with them; may refuse. */
  interface Check {
    void run() throws IOException;
  }

  private final BoundedInputStream bounded;
  private final TarArchiveInputStream tar;
  private long previousStored;

  TarReader(InputStream in) {
    this(in, () -> { });
  }

  /**
   * A reader that runs {@code check} as it reads, whoever reads: the caller an entry's content, or the library
   * skipping what the caller left of it, where a check between entries would not run.
   */
  TarReader(InputStream in, Check check) {
    this.bounded = new BoundedInputStream(in, check);
    this.tar = new TarArchiveInputStream(bounded);
  }

  /**
   * {@code e} itself when it says what went wrong, else an exception that does. The stream libraries throw a bare
   * {@link java.io.EOFException} for a tar or gzip stream cut short, which would reach the user as "null".
   *
   * @param where what was being read, such as "the layer" or "entry usr/bin/env"
   */
  static IOException explained(IOException e, String where) {
    if (e.getMessage() != null && !e.getMessage().isBlank()) {
      return e;
    }
    String what = e instanceof java.io.EOFException ? "ends early: the tar or its compressed stream is cut short"
        : "is corrupt (" + e.getClass().getSimpleName() + ")";
    return new IOException(where + " " + what, e);
  }

  /** The next entry, or null at the end of the archive. */
  TarArchiveEntry next() throws IOException {
    // what the library reads to reach the next entry: the rest of this one, its padding, then headers
    bounded.limit(previousStored + 1024 + MAX_HEADER_BYTES);
    TarArchiveEntry e = tar.getNextEntry();
    bounded.limit(-1);
    // the library skips an entry's declared content by reading it, a directory's excepted (it reads the next header
    // right after): a directory's declared size must not widen the bound of the headers that follow it
    previousStored = e == null || e.isDirectory() ? 0 : Math.max(0, e.getSize());
    return e;
  }

  /** The current entry's content (sparse files expanded); reading past it returns -1. */
  InputStream content() {
    return tar;
  }

  /** The bytes of the (uncompressed) tar read so far. */
  long bytesRead() {
    return bounded.count;
  }

  @Override
  public void close() throws IOException {
    tar.close();
  }

  /** Counts the bytes read through it, and refuses to read more than a limit past a point. */
  private static final class BoundedInputStream extends FilterInputStream {
    private final Check check;
    private long count;
    private long end = Long.MAX_VALUE;
    private long nextCheck = CHECK_EVERY;

    BoundedInputStream(InputStream in, Check check) {
      super(in);
      this.check = check;
    }

    /** Allows {@code bytes} more bytes from here, or any number when negative. */
    void limit(long bytes) {
      end = bytes < 0 ? Long.MAX_VALUE : count + bytes;
    }

    private void counted(long n) throws IOException {
      count += n;
      if (count > end) {
        throw new IOException("the tar's headers between two entries exceed " + MAX_HEADER_BYTES + " bytes");
      }
      if (count >= nextCheck) {
        nextCheck = count + CHECK_EVERY;
        check.run();
      }
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      counted(Math.max(0, skipped));
      return skipped;
    }
  }
}
