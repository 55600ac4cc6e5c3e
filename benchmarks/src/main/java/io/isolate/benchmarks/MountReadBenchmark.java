package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reading a 256 MiB file through a live mount at PROCESS: a guest ({@code fsprobe readall}, C built for wasm32-wasi)
 * reads it 1 MiB at a time, from the isolate's start to its exit, against the same read natively in the same run:
 * {@code dd bs=1M} (a native program, process start included) and the JVM reading it 1 MiB at a time into a heap
 * array (what Chicory's {@code fd_read} does before it copies into guest memory). The file is in the page cache:
 * this measures the mount's cost, not the disk's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class MountReadBenchmark {
  static final long SIZE = 256L << 20;

  private Path dir;
  private Path file;
  private Isolate isolate;

  @Setup
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("isolate-mount-read");
    file = dir.resolve("data.bin");
    byte[] block = new byte[1 << 20];
    try (FileChannel c = FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
        java.nio.file.StandardOpenOption.WRITE)) {
      for (long written = 0; written < SIZE; written += block.length) {
        ThreadLocalRandom.current().nextBytes(block);
        c.write(ByteBuffer.wrap(block));
      }
    }
    isolate = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(Fixtures.resource("fsprobe.wasm"), "readall", "/data/data.bin").withName("readall"))
        .mount(Mount.readOnly(dir, "/data"))
        .limits(Limits.builder().memory(16, SizeUnit.MEGABYTES).wallTime(Duration.ofMinutes(1)).build())
        .build();
  }

  @TearDown
  public void tearDown() throws IOException {
    isolate.close();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  public String isolate() {
    ExitResult r = isolate.run();
    String expected = "readall /data/data.bin: OK " + SIZE + "\n";
    if (!r.isSuccess() || !r.stdoutText().equals(expected)) {
      throw new IllegalStateException("readall at PROCESS: " + r + " " + r.stdoutText());
    }
    return r.stdoutText();
  }

  @Benchmark
  public int ddNative() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("dd", "if=" + file, "of=/dev/null", "bs=1M").redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("dd: " + new String(out, java.nio.charset.StandardCharsets.UTF_8));
    }
    return out.length;
  }

  @Benchmark
  public long jvmRead() throws IOException {
    byte[] buffer = new byte[1 << 20];
    long total = 0;
    try (FileChannel c = FileChannel.open(file)) {
      int n;
      while ((n = c.read(ByteBuffer.wrap(buffer))) > 0) {
        total += n;
      }
    }
    if (total != SIZE) {
      throw new IllegalStateException("read " + total);
    }
    return total;
  }
}
