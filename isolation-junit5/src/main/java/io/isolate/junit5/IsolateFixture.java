package io.isolate.junit5;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Output;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * An isolate used as a test fixture: built and started by {@link IsolateExtension} (or by hand with
 * {@link #start()}), ready when its {@link WaitStrategy} says so, stopped and closed afterwards, whatever the
 * test did. Like Testcontainers' {@code Startable}: {@code start()} and {@code stop()} are idempotent.
 *
 * <p>The fixture owns the workload's stdout and stderr: both go to one in-memory log, readable with
 * {@link #output()} and searched by {@link Wait#forLogLine(String)}.
 */
public final class IsolateFixture implements AutoCloseable {
  private final IsolateSpec spec;
  private final boolean runWorkload;
  private final WaitStrategy waitStrategy;
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private String name = "fixture";
  private Isolate isolate;
  private Execution execution;

  private IsolateFixture(IsolateSpec spec, boolean runWorkload, WaitStrategy waitStrategy) {
    this.spec = spec;
    this.runWorkload = runWorkload;
    this.waitStrategy = waitStrategy;
  }

  /** A fixture that starts the workload (a server, a daemon) and keeps it running until stopped. */
  public static IsolateFixture of(Isolate.Builder builder) {
    return new IsolateFixture(Objects.requireNonNull(builder, "builder").spec(), true, Wait.none());
  }

  /** A fixture that only builds the isolate, for function-style workloads used with {@link Isolate#call}. */
  public static IsolateFixture forCalls(Isolate.Builder builder) {
    return new IsolateFixture(Objects.requireNonNull(builder, "builder").spec(), false, Wait.none());
  }

  /** The same fixture, ready only when {@code strategy} says so. */
  public IsolateFixture waitingFor(WaitStrategy strategy) {
    return new IsolateFixture(spec, runWorkload, Objects.requireNonNull(strategy, "strategy"));
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
    OutputStream sink = new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (log) {
          log.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (log) {
          log.write(b, off, len);
        }
      }
    };
    isolate = spec.toBuilder().stdout(Output.to(sink)).stderr(Output.to(sink)).build();
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
      throw new IllegalStateException(this + " is not started");
    }
    return isolate;
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
