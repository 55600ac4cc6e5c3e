package io.isolate.junit5;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Ready-made {@link WaitStrategy strategies}, like Testcontainers' {@code Wait}: for a line of output, for a TCP
 * port on the host's loopback, or for any predicate. Each polls every 20 ms, gives up after its timeout (30 s
 * unless told otherwise), and fails at once when the workload ends before it is ready.
 */
public final class Wait {
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  private static final long POLL_MILLIS = 20;

  private Wait() {}

  /** Ready once the fixture's stdout or stderr has a line matching {@code regex} (found anywhere in the line). */
  public static WaitStrategy forLogLine(String regex) {
    Pattern pattern = Pattern.compile(regex);
    return new Polling("a log line matching /" + regex + "/", DEFAULT_TIMEOUT,
        f -> f.output().lines().anyMatch(l -> pattern.matcher(l).find()));
  }

  /**
   * Ready once a TCP connection to {@code 127.0.0.1:port} succeeds (for fixtures on the host network, or with
   * the port published to the host).
   */
  public static WaitStrategy forPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port (" + port + ") must be between 1 and 65535");
    }
    return new Polling("TCP port " + port + " on 127.0.0.1", DEFAULT_TIMEOUT, f -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  /** Ready once {@code ready} holds; {@code description} names it in a timeout message. */
  public static WaitStrategy until(Predicate<IsolateFixture> ready, String description) {
    return new Polling(Objects.requireNonNull(description, "description"), DEFAULT_TIMEOUT,
        Objects.requireNonNull(ready, "ready"));
  }

  /** Ready at once: the default. */
  public static WaitStrategy none() {
    return new Polling("nothing", DEFAULT_TIMEOUT, f -> true);
  }

  private static final class Polling implements WaitStrategy {
    private final String description;
    private final Duration timeout;
    private final Predicate<IsolateFixture> ready;

    Polling(String description, Duration timeout, Predicate<IsolateFixture> ready) {
      this.description = description;
      this.timeout = timeout;
      this.ready = ready;
    }

    @Override
    public void waitUntilReady(IsolateFixture fixture) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        if (ready.test(fixture)) {
          return;
        }
        fixture.execution().ifPresent(e -> {
          if (!e.isAlive()) {
            throw new FixtureException(fixture + " ended before it was ready (waiting for " + description + "): "
                + e.onExit().join() + lastOutput(fixture));
          }
        });
        if (System.nanoTime() > deadline) {
          throw new FixtureException(fixture + " was not ready within " + timeout + " (waiting for " + description
              + ")" + lastOutput(fixture));
        }
        try {
          Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new FixtureException("interrupted while waiting for " + description, e);
        }
      }
    }

    private static String lastOutput(IsolateFixture fixture) {
      String out = fixture.output();
      return out.isEmpty() ? "" : "; its last output: " + out.substring(Math.max(0, out.length() - 500));
    }

    @Override
    public WaitStrategy withTimeout(Duration newTimeout) {
      Objects.requireNonNull(newTimeout, "timeout");
      if (newTimeout.isNegative() || newTimeout.isZero()) {
        throw new IllegalArgumentException("timeout (" + newTimeout + ") must be positive");
      }
      return new Polling(description, newTimeout, ready);
    }

    @Override
    public String toString() {
      return description + " within " + timeout;
    }
  }
}
