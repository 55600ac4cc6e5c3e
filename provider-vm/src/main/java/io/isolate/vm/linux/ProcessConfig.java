package io.isolate.vm.linux;

import io.isolate.Input;
import io.isolate.spi.OutputSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link LinuxProcess} runs and what it may touch. Nothing is granted by default: no mounts, no environment,
 * empty stdin, discarded output, 64 MiB of memory, 30 seconds.
 */
public final class ProcessConfig {
  /** Makes one of the three standard streams for a process. */
  interface Stdio {
    OpenFile open(LinuxProcess p);
  }

  private final byte[] executable;
  private final String name;
  private List<String> args = List.of();
  private Map<String, String> env = Map.of();
  private long memoryBytes = 64L << 20;
  private final List<Vfs.MountPoint> mounts = new ArrayList<>();
  private String workingDir = "/";
  private String hostname = "isolate";
  private Stdio stdin = p -> new PipeEnd(PipeBuffer.of(new byte[0]), true, p::stopRequested, 0);
  private Stdio stdout = discard(1);
  private Stdio stderr = discard(2);
  private PipeBuffer stdinPipe;
  private boolean stdinIsPipe;
  private final java.util.BitSet denied = new java.util.BitSet();

  /** A program given as the bytes of a static x86-64 ELF executable; {@code name} is its argv[0]. */
  public ProcessConfig(byte[] executable, String name) {
    this.executable = Objects.requireNonNull(executable, "executable");
    this.name = Objects.requireNonNull(name, "name");
  }

  private static Stdio discard(long ino) {
    OutputSink sink = new OutputSink(io.isolate.Output.discard(), new OutputSink.Budget(Long.MAX_VALUE));
    return p -> new OutputFile(sink, () -> {}, ino);
  }

  /** The arguments after argv[0]; default none. */
  public ProcessConfig args(List<String> args) {
    this.args = List.copyOf(args);
    return this;
  }

  /** Exactly the environment the program sees, in this order; default empty. */
  public ProcessConfig env(Map<String, String> env) {
    this.env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env)); // keeps the order given
    return this;
  }

  /** Guest RAM, which is the program's whole address space; rounded up to 2 MiB. */
  public ProcessConfig memoryBytes(long bytes) {
    if (bytes < (4 << 20) || bytes > (64L << 30)) {
      throw new IllegalArgumentException("guest memory (" + bytes + " bytes) must be between 4 MiB and 64 GiB");
    }
    this.memoryBytes = bytes;
    return this;
  }

  /** Grants the host directory {@code host} at {@code guestPath}, read-only or read-write. */
  public ProcessConfig mountDirectory(String guestPath, Path host, boolean writable) {
    mounts.add(new Vfs.MountPoint(guestPath, host.toAbsolutePath().normalize(), writable, null));
    return this;
  }

  /** Grants a read-only file holding {@code content} at {@code guestPath}. */
  public ProcessConfig mountFile(String guestPath, byte[] content) {
    mounts.add(new Vfs.MountPoint(guestPath, null, false, content.clone()));
    return this;
  }

  /** System calls that fail with EPERM, by name. */
  public ProcessConfig denySyscalls(java.util.Set<String> names) {
    for (String n : names) {
      int nr = SyscallNames.number(n);
      if (nr < 0) {
        throw new IllegalArgumentException("'" + n + "' is not an x86-64 Linux system call");
      }
      denied.set(nr);
    }
    return this;
  }

  java.util.BitSet denied() {
    return denied;
  }

  /** The initial working directory, a guest path; default {@code /}. */
  public ProcessConfig workingDir(String dir) {
    this.workingDir = Objects.requireNonNull(dir, "dir");
    return this;
  }

  /** The node name uname reports; default {@code isolate}. */
  public ProcessConfig hostname(String hostname) {
    this.hostname = Objects.requireNonNull(hostname, "hostname");
    return this;
  }

  /**
   * Where stdin comes from. For {@link Input.Kind#PIPE} the application writes through {@link #stdinWriter()};
   * for {@link Input.Kind#STREAM} a daemon thread copies the stream into the guest's pipe as the guest reads.
   */
  public ProcessConfig stdin(Input input) {
    switch (input.kind()) {
      case NONE -> stdin = p -> new PipeEnd(PipeBuffer.of(new byte[0]), true, p::stopRequested, 0);
      case BYTES -> {
        byte[] bytes = input.bytes();
        stdin = p -> new PipeEnd(PipeBuffer.of(bytes), true, p::stopRequested, 0);
      }
      case PIPE -> {
        stdinIsPipe = true;
        stdinPipe = new PipeBuffer(64 * 1024);
        PipeBuffer pipe = stdinPipe;
        stdin = p -> new PipeEnd(pipe, true, p::stopRequested, 0);
      }
      case STREAM -> {
        InputStream in = input.stream().orElseThrow();
        stdinPipe = new PipeBuffer(64 * 1024);
        PipeBuffer pipe = stdinPipe;
        stdin = p -> {
          Thread pump = new Thread(() -> pump(in, pipe, p), "isolate-vm-stdin");
          pump.setDaemon(true);
          pump.start();
          return new PipeEnd(pipe, true, p::stopRequested, 0);
        };
      }
    }
    return this;
  }

  private static void pump(InputStream in, PipeBuffer pipe, LinuxProcess p) {
    byte[] buf = new byte[16 * 1024];
    try {
      int n;
      while ((n = in.read(buf)) > 0) {
        if (pipe.write(buf, 0, n, p::stopRequested) < 0) {
          break;
        }
      }
    } catch (IOException e) {
      // the application's stream failed: the guest sees end of file
    } finally {
      pipe.closeWriter();
    }
  }

  /** The application's end of a {@link Input#pipe()} stdin; closing it gives the guest end of file. */
  public OutputStream stdinWriter() {
    if (!stdinIsPipe) {
      throw new IllegalStateException("stdin is not a pipe: build the isolate with stdin(Input.pipe())");
    }
    PipeBuffer pipe = stdinPipe;
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (pipe.write(b, off, len, () -> false) < 0) {
          throw new IOException("the workload closed its stdin");
        }
      }

      @Override
      public void close() {
        pipe.closeWriter();
      }
    };
  }

  /** stdout goes to {@code sink}; when its budget runs out the process stops with OUTPUT_LIMIT. */
  public ProcessConfig stdout(OutputSink sink) {
    this.stdout = p -> new OutputFile(sink, p::outputLimitReached, 1);
    return this;
  }

  /** stderr goes to {@code sink}, sharing its budget with stdout. */
  public ProcessConfig stderr(OutputSink sink) {
    this.stderr = p -> new OutputFile(sink, p::outputLimitReached, 2);
    return this;
  }

  byte[] executable() {
    return executable;
  }

  String name() {
    return name;
  }

  List<String> args() {
    return args;
  }

  Map<String, String> env() {
    return env;
  }

  long memoryBytes() {
    return memoryBytes;
  }

  List<Vfs.MountPoint> mounts() {
    return mounts;
  }

  String workingDir() {
    return workingDir;
  }

  String hostname() {
    return hostname;
  }

  Stdio stdin() {
    return stdin;
  }

  Stdio stdout() {
    return stdout;
  }

  Stdio stderr() {
    return stderr;
  }
}
