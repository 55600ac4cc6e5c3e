package io.isolate.benchmarks;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Network;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
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
 * Redis start to ready (accepting TCP connections) as the Redis fixture example runs it (OS level, Debian's
 * redis-server as the redis user, a free published port), against the same command as a plain process of the redis
 * user (switched to with setpriv). Each iteration is one start. Needs root and Debian's redis-server.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 20)
@Fork(1)
public class RedisReadyBenchmark {
  private int[] redis;

  @Setup
  public void setUp() throws IOException {
    redis = ServerReady.hostUser("redis");
  }

  private static String[] command(int port) {
    return new String[] {"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", Integer.toString(port), "--save",
        "", "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp"};
  }

  @Benchmark
  public int isolate() {
    String[] argv = command(6379);
    return ServerReady.isolate(Isolate.builder()
        .level(IsolationLevel.OS).network(Network.LOOPBACK).publishPort(6379).user(redis[0], redis[1])
        .limits(Limits.builder().memory(128, SizeUnit.MEGABYTES).wallTime(Duration.ofMinutes(2)).build())
        .workload(Workload.command(argv[0], java.util.Arrays.copyOfRange(argv, 1, argv.length))), 6379);
  }

  @Benchmark
  public int plainProcess() throws IOException {
    int port = ServerReady.freePort();
    String[] argv = command(port);
    String[] full = new String[argv.length + 4];
    full[0] = "setpriv";
    full[1] = "--reuid=" + redis[0];
    full[2] = "--regid=" + redis[1];
    full[3] = "--clear-groups";
    System.arraycopy(argv, 0, full, 4, argv.length);
    return ServerReady.plain(port, full);
  }
}
