package io.isolate.runtime;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.IsolateEvent;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.PublishedPort;
import io.isolate.Termination;
import io.isolate.internal.GuestPaths;
import io.isolate.spi.IsolateBackend;
import java.io.OutputStream;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one {@link Isolate} implementation: state checks, events and idempotent close around a provider's backend.
 * Calls and starts are counted in flight; close refuses new ones, closes the backend (which ends running work) and
 * returns only once every counted one has left, so no call outlives close().
 */
final class DefaultIsolate implements Isolate {
  /** Lifecycle at DEBUG (every state change of every isolate), a provider's broken close at WARNING. */
  private static final System.Logger LOG = System.getLogger("io.isolate");

  private final String id = "iso-" + UUID.randomUUID().toString().substring(0, 13);
  private final IsolateSpec spec;
  private final String provider;
  private final IsolateBackend backend;
  private final EventPublisher events;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Calls and starts in flight; close waits until none is (cheaper per call than a read-write lock). */
  /** The backend's close itself waits for calls to leave: calls skip the count (a call costs tens of ns). */
  private final boolean callsFencedByBackend;
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

  DefaultIsolate(IsolateSpec spec, String provider, IsolateBackend backend, EventPublisher events) {
    this.spec = spec;
    this.provider = provider;
    this.backend = backend;
    this.callsFencedByBackend = backend.closeAwaitsCalls();
    this.events = events;
    publish(IsolateEvent.Type.CREATED, null);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public IsolationLevel level() {
    return spec.level();
  }

  @Override
  public IsolateSpec spec() {
    return spec;
  }

  @Override
  public Execution start() {
    enter();
    try {
      Execution execution = backend.start();
      publish(IsolateEvent.Type.STARTED, null);
      CompletableFuture<ExitResult> observed = execution.onExit().thenApply(r -> {
        publish(typeOf(r.termination()), r);
        return r;
      });
      return new Execution() {
        @Override
        public OutputStream stdin() {
          return execution.stdin();
        }

        @Override
        public CompletableFuture<ExitResult> onExit() {
          return observed;
        }

        @Override
        public boolean isAlive() {
          return execution.isAlive();
        }

        @Override
        public void kill() {
          execution.kill();
        }

        @Override
        public void stop(java.time.Duration grace) {
          execution.stop(Objects.requireNonNull(grace, "grace"));
        }
      };
    } finally {
      exit();
    }
  }

  @Override
  public ExitResult run() {
    enter();
    try {
      publish(IsolateEvent.Type.STARTED, null);
      ExitResult r = backend.run();
      publish(typeOf(r.termination()), r);
      return r;
    } finally {
      exit();
    }
  }

  private static IsolateEvent.Type typeOf(Termination t) {
    if (t == Termination.KILLED) {
      return IsolateEvent.Type.KILLED;
    }
    return t.isLimit() ? IsolateEvent.Type.LIMIT_EXCEEDED : IsolateEvent.Type.EXITED;
  }

  @Override
  public long[] call(String function, long... args) {
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(args, "args");
    if (callsFencedByBackend) {
      if (closed.get()) {
        throw new IllegalStateException("isolate " + id + " is closed");
      }
      return backend.call(function, args);
    }
    enter();
    try {
      return backend.call(function, args);
    } finally {
      exit();
    }
  }

  @Override
  public java.util.Set<String> functions() {
    enter();
    try {
      return java.util.Set.copyOf(backend.functions());
    } finally {
      exit();
    }
  }

  @Override
  public byte[] call(String function, byte[] input) {
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(input, "input");
    if (callsFencedByBackend) {
      if (closed.get()) {
        throw new IllegalStateException("isolate " + id + " is closed");
      }
      return backend.call(function, input);
    }
    enter();
    try {
      return backend.call(function, input);
    } finally {
      exit();
    }
  }

  @Override
  public ExitResult exec(String... argv) {
    Objects.requireNonNull(argv, "argv");
    if (argv.length == 0 || argv[0].isEmpty()) {
      throw new InvalidSpecException("exec needs a program");
    }
    enter();
    try {
      return backend.exec(java.util.List.of(argv));
    } finally {
      exit();
    }
  }

  @Override
  public void copyToIsolate(java.nio.file.Path hostFile, String guestPath) throws java.io.IOException {
    Objects.requireNonNull(hostFile, "hostFile");
    String checked = GuestPaths.check("guestPath", guestPath);
    enter();
    try {
      backend.copyIn(hostFile, checked);
    } finally {
      exit();
    }
  }

  @Override
  public void copyFromIsolate(String guestPath, java.nio.file.Path hostFile) throws java.io.IOException {
    Objects.requireNonNull(hostFile, "hostFile");
    String checked = GuestPaths.check("guestPath", guestPath);
    enter();
    try {
      backend.copyOut(checked, hostFile);
    } finally {
      exit();
    }
  }

  @Override
  public java.util.List<PublishedPort> publishedPorts() {
    java.util.List<PublishedPort> effective = backend.publishedPorts();
    return effective != null ? effective : spec.publishedPorts();
  }

  @Override
  public int mappedPort(int guestPort) {
    PublishedPort published = publishedPorts().stream().filter(p -> p.guestPort() == guestPort).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("guest port " + guestPort + " is not published; published: "
            + publishedPorts()));
    if (!published.isRandom()) {
      return published.hostPort();
    }
    enter();
    try {
      return backend.mappedPort(guestPort);
    } finally {
      exit();
    }
  }

  /** Counts a call or start in, refusing it once the isolate is closed. */
  private void enter() {
    inFlight.incrementAndGet();
    if (closed.get()) {
      exit();
      throw new IllegalStateException("isolate " + id + " is closed");
    }
  }

  private void exit() {
    inFlight.decrementAndGet();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // The backend's close kills running work first, which releases the callers still in flight.
    try {
      backend.close();
    } catch (RuntimeException e) {
      // close must not throw; the backend's own contract says it does not, this guards the application
      LOG.log(System.Logger.Level.WARNING, "the " + provider + " provider failed to close isolate " + id
          + "; some of its host resources may remain", e);
    }
    // calls that entered before `closed` was set leave once the backend's close has ended their work
    while (inFlight.get() != 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(100_000);
    }
    publish(IsolateEvent.Type.CLOSED, null);
  }

  private void publish(IsolateEvent.Type type, ExitResult result) {
    if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
      LOG.log(System.Logger.Level.DEBUG, "isolate " + id + " (" + spec.level() + ", " + provider + ", "
          + spec.workload().name() + "): " + type + (result == null ? "" : " " + result.termination()
          + (result.detail().isEmpty() ? "" : ": " + result.detail())));
    }
    events.publish(new IsolateEvent(type, id, spec.level(), provider, spec.clock().instant(), result));
  }

  @Override
  public String toString() {
    return "Isolate{" + id + ", " + spec.level() + ", " + spec.workload() + (closed.get() ? ", closed" : "") + "}";
  }
}
