package io.isolate.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Network;
import io.isolate.RunAs;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import io.isolate.junit5.Fixture;
import io.isolate.junit5.IsolateFixture;
import io.isolate.junit5.IsolateTest;
import io.isolate.junit5.Wait;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A real Redis server as a fixture: Debian's {@code redis-server} from the host's read-only root, as the host's
 * {@code redis} user, without persistence, on a free host port; the test speaks Redis's protocol (RESP) to it.
 */
@IsolateTest
class RedisFixtureExampleTest {
  static final RunAs REDIS = HostServers.user("redis");

  static Isolate.Builder redis() {
    HostServers.require(Files.isExecutable(Path.of("/usr/bin/redis-server")), "/usr/bin/redis-server (Debian "
        + "package redis-server)");
    return Isolate.builder()
        .level(IsolationLevel.OS)
        .network(Network.LOOPBACK)
        .publishPort(6379)
        .user(REDIS.uid(), REDIS.gid())
        .limits(Limits.builder().memory(128, SizeUnit.MEGABYTES).wallTime(Duration.ofMinutes(5)).build())
        .workload(Workload.command("/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp"));
  }

  @Fixture
  static IsolateFixture cache = IsolateFixture.of(redis()).waitingFor(Wait.forListeningPort());

  /** One command in RESP, and the first line of the answer. */
  static String command(Socket socket, String... words) throws Exception {
    StringBuilder request = new StringBuilder("*" + words.length + "\r\n");
    for (String w : words) {
      request.append('$').append(w.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(w).append("\r\n");
    }
    OutputStream out = socket.getOutputStream();
    out.write(request.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    String line = in.readLine();
    if (line.startsWith("$") && !line.equals("$-1")) {
      return in.readLine();
    }
    return line;
  }

  @Test
  void storesAndReturnsValues() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), cache.mappedPort(6379))) {
      assertEquals("+PONG", command(socket, "PING"));
      assertEquals("+OK", command(socket, "SET", "isolated", "yes"));
      assertEquals("yes", command(socket, "GET", "isolated"));
    }
  }
}
