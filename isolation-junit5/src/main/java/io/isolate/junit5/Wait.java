package io.isolate.junit5;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Ready-made {@link WaitStrategy strategies}, like Testcontainers' {@code Wait}: for a line of output, for the
 * fixture's published ports, for an HTTP answer, for a TCP port on the host's loopback, for any predicate, or for
 * several of them. Each polls every 20 ms, gives up after its timeout (30 s unless told otherwise), and fails at once
 * when the workload ends before it is ready.
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
    return new Polling("TCP port " + port + " on 127.0.0.1", DEFAULT_TIMEOUT, f -> connects(port));
  }

  /**
   * Ready once every published port of the fixture accepts a connection on the host. A published port accepts only
   * once the guest itself listens on it (the isolate refuses connections until then), so this is the guest's
   * readiness, as Testcontainers checks it inside the container.
   */
  public static WaitStrategy forListeningPort() {
    return new Polling("the published ports to be listened on", DEFAULT_TIMEOUT, f -> {
      var published = f.isolate().publishedPorts();
      if (published.isEmpty()) {
        throw new FixtureException(f + " publishes no port: forListeningPort needs Isolate.Builder.publishPort");
      }
      for (var p : published) {
        if (!connects(f.mappedPort(p.guestPort()))) {
          return false;
        }
      }
      return true;
    });
  }

  /**
   * Ready once an HTTP GET of {@code path} on the fixture's first published port (or {@link HttpWait#forPort}'s)
   * answers with status 200 (or {@link HttpWait#forStatusCode}'s).
   */
  public static HttpWait forHttp(String path) {
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path '" + path + "' must start with /");
    }
    return new HttpWait(path, -1, java.util.Set.of(), DEFAULT_TIMEOUT);
  }

  /** An HTTP wait; see {@link Wait#forHttp(String)}. */
  public static final class HttpWait implements WaitStrategy {
    private static final java.net.http.HttpClient CLIENT = java.net.http.HttpClient.newBuilder()
        .connectTimeout(Duration.ofMillis(500)).build();
    private final String path;
    private final int guestPort;
    private final java.util.Set<Integer> statuses;
    private final Duration timeout;

    private HttpWait(String path, int guestPort, java.util.Set<Integer> statuses, Duration timeout) {
      this.path = path;
      this.guestPort = guestPort;
      this.statuses = statuses;
      this.timeout = timeout;
    }

    /** Also ready on status {@code code} (the first call replaces the default 200). */
    public HttpWait forStatusCode(int code) {
      if (code < 100 || code > 599) {
        throw new IllegalArgumentException("HTTP status " + code + " does not exist");
      }
      java.util.Set<Integer> all = new java.util.TreeSet<>(statuses);
      all.add(code);
      return new HttpWait(path, guestPort, java.util.Set.copyOf(all), timeout);
    }

    /** Asks the published guest port {@code port} rather than the first. */
    public HttpWait forPort(int port) {
      return new HttpWait(path, port, statuses, timeout);
    }

    @Override
    public HttpWait withTimeout(Duration newTimeout) {
      return new HttpWait(path, guestPort, statuses, checked(newTimeout));
    }

    @Override
    public void waitUntilReady(IsolateFixture fixture) {
      java.util.Set<Integer> wanted = statuses.isEmpty() ? java.util.Set.of(200) : statuses;
      new Polling(toString(), timeout, f -> {
        int port = guestPort > 0 ? guestPort : f.isolate().publishedPorts().stream().findFirst()
            .orElseThrow(() -> new FixtureException(f + " publishes no port: forHttp needs Isolate.Builder"
                + ".publishPort")).guestPort();
        java.net.URI uri = java.net.URI.create("http://127.0.0.1:" + f.mappedPort(port) + path);
        try {
          var answer = CLIENT.send(java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET()
              .build(), java.net.http.HttpResponse.BodyHandlers.discarding());
          return wanted.contains(answer.statusCode());
        } catch (IOException e) {
          return false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new FixtureException("interrupted while waiting for " + uri, e);
        }
      }).waitUntilReady(fixture);
    }

    @Override
    public String toString() {
      return "HTTP GET " + path + (guestPort > 0 ? " on guest port " + guestPort : "") + " answering "
          + (statuses.isEmpty() ? "200" : statuses) + " within " + timeout;
    }
  }

  /** Ready once every one of {@code strategies} is, each checked in turn within its own timeout. */
  public static WaitStrategy allOf(WaitStrategy... strategies) {
    List<WaitStrategy> all = List.of(strategies);
    if (all.isEmpty()) {
      throw new IllegalArgumentException("allOf needs at least one strategy");
    }
    return new WaitStrategy() {
      @Override
      public void waitUntilReady(IsolateFixture fixture) {
        all.forEach(w -> w.waitUntilReady(fixture));
      }

      @Override
      public WaitStrategy withTimeout(Duration timeout) {
        return allOf(all.stream().map(w -> w.withTimeout(timeout)).toArray(WaitStrategy[]::new));
      }

      @Override
      public String toString() {
        return "all of " + all;
      }
    };
  }

  private static boolean connects(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Duration checked(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout (" + timeout + ") must be positive");
    }
    return timeout;
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
      return new Polling(description, checked(newTimeout), ready);
    }

    @Override
    public String toString() {
      return description + " within " + timeout;
    }
  }
}
