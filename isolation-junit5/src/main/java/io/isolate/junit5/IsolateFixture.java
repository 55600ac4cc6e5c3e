package io.isolate.junit5;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Output;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An isolate used as a test fixture: built and started by {@link IsolateExtension} (or by hand with
 * {@link #start()}), ready when its {@link WaitStrategy} says so, stopped and closed afterwards, whatever the
 * test did. Like Testcontainers' {@code Startable}: {@code start()} and {@code stop()} are idempotent.
 *
 * <p>A fixture that runs its workload ({@link #of}) keeps everything the workload writes to stdout and stderr in one
 * in-memory log, readable with {@link #output()}, searched by {@link Wait#forLogLine(String)} and handed line by line
 * to its {@link #withLogConsumer log consumers}. The builder's own outputs stay in place: an {@link Output#to}
 * stream gets the output as well (a capture, the default, is the log itself). A fixture {@link #forCalls} leaves
 * the outputs alone.
 */
public final class IsolateFixture implements AutoCloseable {
  private final IsolateSpec spec;
  private final boolean runWorkload;
  private final WaitStrategy waitStrategy;
  private final List<Consumer<String>> logConsumers;
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private String name = "fixture";
  private Isolate isolate;
  private Execution execution;

  private IsolateFixture(IsolateSpec spec, boolean runWorkload, WaitStrategy waitStrategy,
      List<Consumer<String>> logConsumers) {
    this.spec = spec;
    this.runWorkload = runWorkload;
    this.waitStrategy = waitStrategy;
    this.logConsumers = List.copyOf(logConsumers);
  }

  /** A fixture that starts the workload (a server, a daemon) and keeps it running until stopped. */
  public static IsolateFixture of(Isolate.Builder builder) {
    return new IsolateFixture(Objects.requireNonNull(builder, "builder").spec(), true, Wait.none(), List.of());
  }

  /** A fixture that only builds the isolate, for function-style workloads used with {@link Isolate#call}. */
  public static IsolateFixture forCalls(Isolate.Builder builder) {
    return new IsolateFixture(Objects.requireNonNull(builder, "builder").spec(), false, Wait.none(), List.of());
  }

  /** The same fixture, ready only when {@code strategy} says so. */
  public IsolateFixture waitingFor(WaitStrategy strategy) {
    return new IsolateFixture(spec, runWorkload, Objects.requireNonNull(strategy, "strategy"), logConsumers);
  }

  /**
   * The same fixture, with {@code consumer} told every line the workload writes (stdout and stderr, without the line
   * end), on the thread that reads the output; see {@link LogConsumers} for ready-made ones.
   *
   * @throws IllegalStateException for a {@link #forCalls} fixture, which has no workload of its own
   */
  public IsolateFixture withLogConsumer(Consumer<String> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    if (!runWorkload) {
      throw new IllegalStateException("a fixture for calls runs no workload of its own: there is no log to consume");
    }
    List<Consumer<String>> all = new ArrayList<>(logConsumers);
    all.add(consumer);
    return new IsolateFixture(spec, runWorkload, waitStrategy, all);
  }

  IsolateFixture named(String fieldName) {
    this.name = fieldName;
    return this;
  }

  /** The level the fixture asks for. */
  public IsolationLevel level() {
    return spec.level();
  }

  /** Builds the isolate, starts the workload and waits until it is ready. Does nothing when already started. */
  public synchronized IsolateFixture start() {
    if (isolate != null) {
      return this;
    }
    Isolate.Builder builder = spec.toBuilder();
    if (runWorkload) {
      builder.stdout(Output.to(new LogStream(spec.stdout()))).stderr(Output.to(new LogStream(spec.stderr())));
    }
    isolate = builder.build();
    try {
      if (runWorkload) {
        execution = isolate.start();
      }
      waitStrategy.waitUntilReady(this);
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
    return this;
  }

  /**
   * One of the workload's streams: into the log, line by line to the consumers, and on to the builder's own stream
   * when it named one.
   */
  private final class LogStream extends OutputStream {
    private final OutputStream own;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LogStream(Output destination) {
      this.own = destination.kind() == Output.Kind.STREAM ? destination.stream().orElseThrow() : null;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      synchronized (log) {
        log.write(b, off, len);
      }
      if (!logConsumers.isEmpty()) {
        for (int i = off; i < off + len; i++) {
          if (b[i] == '\n') {
            deliver();
          } else {
            line.write(b[i]);
          }
        }
      }
      if (own != null) {
        own.write(b, off, len);
      }
    }

    private void deliver() {
      String text = line.toString(StandardCharsets.UTF_8);
      line.reset();
      for (Consumer<String> consumer : logConsumers) {
        try {
          consumer.accept(text);
        } catch (RuntimeException e) {
          // a failing consumer does not take the workload's output with it
        }
      }
    }

    @Override
    public void flush() throws IOException {
      if (own != null) {
        own.flush();
      }
    }
  }

  /** Kills the workload and closes the isolate, releasing everything. Idempotent. */
  public synchronized void stop() {
    if (execution != null) {
      execution.kill();
    }
    if (isolate != null) {
      isolate.close();
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** True between {@link #start()} and {@link #stop()} while the workload (if any) runs. */
  public synchronized boolean isRunning() {
    return isolate != null && (execution == null || execution.isAlive());
  }

  /**
   * The running isolate.
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public synchronized Isolate isolate() {
    if (isolate == null) {
      throw new IllegalStateException(this + " is not started: start it, or annotate its test class with "
          + "@io.isolate.junit5.IsolateTest (JUnit's own @Isolated is another annotation, which starts no fixture)");
    }
    return isolate;
  }

  /**
   * The host port on 127.0.0.1 that reaches {@code guestPort} of the running isolate (see
   * {@link Isolate.Builder#publishPort(int)}), as Testcontainers' {@code getMappedPort}.
   */
  public int mappedPort(int guestPort) {
    return isolate().mappedPort(guestPort);
  }

  /** The running workload; empty for {@link #forCalls} fixtures. */
  public synchronized Optional<Execution> execution() {
    return Optional.ofNullable(execution);
  }

  /** The result, once the workload has ended. */
  public synchronized Optional<ExitResult> result() {
    return execution == null || execution.isAlive() ? Optional.empty() : Optional.of(execution.onExit().join());
  }

  /** Everything the workload wrote to stdout and stderr so far, as UTF-8. */
  public String output() {
    synchronized (log) {
      return log.toString(StandardCharsets.UTF_8);
    }
  }

  @Override
  public String toString() {
    return "fixture '" + name + "' (" + spec.level() + " " + spec.workload() + ")";
  }
}
