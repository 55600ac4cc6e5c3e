package io.isolate.fake;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.IsolateSpec;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.Usage;
import io.isolate.spi.OutputSink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One run of the fake provider: the program is the workload's bytes as text, one of {@code print TEXT},
 * {@code exit CODE}, {@code cat}, {@code spin}, {@code flood}, {@code hoard} (a megabyte more every millisecond)
 * and {@code env}. It runs on a thread of its own; a stop (deadline, kill, a limit) is recorded first and noticed by
 * the program at its next step.
 */
final class FakeRun implements Execution {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "fake-provider-timer");
    t.setDaemon(true);
    return t;
  });

  private final IsolateSpec spec;
  private final OutputSink stdout;
  private final OutputSink stderr;
  private final CompletableFuture<ExitResult> result = new CompletableFuture<>();
  private final PipedOutputStream pipe;
  private final InputStream stdin;
  private volatile Termination stopReason;
  private volatile String stopDetail;
  private long startNanos;
  private ScheduledFuture<?> deadline;

  FakeRun(IsolateSpec spec) {
    this.spec = spec;
    OutputSink.Budget budget = new OutputSink.Budget(spec.limits().outputBytes());
    this.stdout = new OutputSink(spec.stdout(), budget);
    this.stderr = new OutputSink(spec.stderr(), budget);
    try {
      switch (spec.stdin().kind()) {
        case NONE -> {
          pipe = null;
          stdin = new ByteArrayInputStream(new byte[0]);
        }
        case BYTES -> {
          pipe = null;
          stdin = new ByteArrayInputStream(spec.stdin().bytes());
        }
        case STREAM -> {
          pipe = null;
          stdin = spec.stdin().stream().orElseThrow();
        }
        default -> {
          pipe = new PipedOutputStream();
          stdin = new PipedInputStream(pipe, 1 << 16);
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  void start() {
    startNanos = System.nanoTime();
    Duration wall = spec.limits().wallTime();
    deadline = TIMERS.schedule(() -> stop(Termination.TIMEOUT, "wall time " + wall + " exceeded"), wall.toNanos(),
        TimeUnit.NANOSECONDS);
    Thread t = new Thread(this::run, "fake-provider-run");
    t.setDaemon(true);
    t.start();
  }

  /** Records why the run must stop; the first reason wins. */
  private synchronized void stop(Termination reason, String detail) {
    if (stopReason == null && !result.isDone()) {
      stopReason = reason;
      stopDetail = detail;
    }
  }

  private void run() {
    long cpu0 = THREADS.getCurrentThreadCpuTime();
    String program = new String(spec.workload().content(), StandardCharsets.UTF_8).trim();
    String op = program.split(" ", 2)[0];
    String arg = program.contains(" ") ? program.substring(program.indexOf(' ') + 1) : "";
    int exitCode = 0;
    long memory = 0;
    try {
      switch (op) {
        case "print" -> write(arg + "\n");
        case "exit" -> exitCode = Integer.parseInt(arg);
        case "cat" -> {
          byte[] buffer = new byte[4096];
          for (int n; stopReason == null && (n = stdin.read(buffer)) > 0; ) {
            if (!stdout.write(buffer, 0, n)) {
              outputLimit();
            }
          }
        }
        case "spin", "flood", "hoard" -> {
          while (stopReason == null) {
            if (op.equals("flood")) {
              write("line of an endless flood\n");
            } else if (op.equals("hoard")) {
              memory += 1 << 20;
              if (memory > spec.limits().memoryBytes()) {
                memory = spec.limits().memoryBytes();
                stop(Termination.MEMORY_LIMIT, "memory limit " + SizeUnit.format(spec.limits().memoryBytes())
                    + " exceeded");
              }
              Thread.sleep(1);
            }
            checkCpu(cpu0);
          }
        }
        case "env" -> {
          for (Map.Entry<String, String> e : spec.env().entrySet()) {
            write(e.getKey() + "=" + e.getValue() + "\n");
          }
        }
        default -> throw new IllegalArgumentException("the fake provider has no instruction '" + op + "'");
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      stop(Termination.FAULT, "the fake program failed: " + e);
    }
    deadline.cancel(false);
    Duration cpu = Duration.ofNanos(THREADS.getCurrentThreadCpuTime() - cpu0);
    Termination reason;
    String detail;
    synchronized (this) {
      reason = stopReason;
      detail = stopDetail;
    }
    ExitResult r = ExitResult.builder(reason == null ? Termination.EXITED : reason)
        .exitCode(reason == null ? exitCode : -1)
        .detail(detail == null ? "" : detail)
        .stdout(stdout.captured())
        .stderr(stderr.captured())
        .usage(Usage.of(Duration.ofNanos(System.nanoTime() - startNanos), cpu, memory))
        .build();
    result.complete(r);
  }

  private void write(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (!stdout.write(bytes, 0, bytes.length)) {
      outputLimit();
    }
  }

  private void outputLimit() {
    stop(Termination.OUTPUT_LIMIT, "output limit " + SizeUnit.format(spec.limits().outputBytes()) + " exceeded");
  }

  private void checkCpu(long cpu0) {
    spec.limits().cpuTime().ifPresent(limit -> {
      if (THREADS.getCurrentThreadCpuTime() - cpu0 > limit.toNanos()) {
        stop(Termination.CPU_LIMIT, "CPU-time limit " + limit + " exceeded");
      }
    });
  }

  @Override
  public OutputStream stdin() {
    if (pipe == null) {
      throw new IllegalStateException("stdin is not a pipe");
    }
    return pipe;
  }

  @Override
  public CompletableFuture<ExitResult> onExit() {
    return result;
  }

  @Override
  public boolean isAlive() {
    return !result.isDone();
  }

  @Override
  public void kill() {
    stop(Termination.KILLED, "killed");
    if (pipe != null) {
      try {
        pipe.close(); // a cat blocked on the pipe sees its end
      } catch (IOException e) {
        // already closed
      }
    }
  }
}
