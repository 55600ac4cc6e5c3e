package io.isolate.benchmarks;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * PostgreSQL start to ready (initdb of a fresh cluster, then the server accepting TCP connections) as the
 * PostgreSQL fixture example runs it (OS level, Debian's server from the host's read-only root, as the postgres
 * user, data in a tmpfs, a free published port), against the same two commands as plain processes of the postgres
 * user (switched to with setpriv; data in /dev/shm, so that neither writes to a disk). Each iteration is one start;
 * the server is stopped after it. Needs root and Debian's postgresql.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 10)
@Fork(1)
public class PostgresReadyBenchmark {
  private Path bin;
  private int[] postgres;

  @Setup
  public void setUp() throws IOException {
    try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      bin = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres")))
          .max(Path::compareTo).orElseThrow(() -> new IllegalStateException("no PostgreSQL server installed"));
    }
    postgres = ServerReady.hostUser("postgres");
  }

  private String script(String data, String sockets, int port) {
    return bin + "/initdb -D " + data + " -U postgres --auth=trust --no-locale -E UTF8 >/dev/null && exec " + bin
        + "/postgres -D " + data + " -k " + sockets + " -h 127.0.0.1 -p " + port
        + " -c fsync=off -c full_page_writes=off";
  }

  @Benchmark
  public int isolate() {
    return ServerReady.isolate(Isolate.builder()
        .level(IsolationLevel.OS).network(Network.LOOPBACK).publishPort(5432).user(postgres[0], postgres[1])
        .mount(Mount.tmpfs("/var/lib/postgresql", 256L << 20))
        .limits(Limits.builder().memory(512, SizeUnit.MEGABYTES).pids(64).wallTime(Duration.ofMinutes(2)).build())
        .workload(Workload.command("/bin/sh", "-c", script("/var/lib/postgresql/data", "/tmp", 5432))), 5432);
  }

  @Benchmark
  public int plainProcess() throws IOException {
    Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "pg-bench");
    try {
      new ProcessBuilder("chown", "postgres", dir.toString()).start().waitFor();
      int port = ServerReady.freePort();
      return ServerReady.plain(port, "setpriv", "--reuid=" + postgres[0], "--regid=" + postgres[1],
          "--clear-groups", "/bin/sh", "-c", script(dir.resolve("data").toString(), dir.toString(), port));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
