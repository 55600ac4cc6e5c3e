package io.isolate.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Network;
import io.isolate.Workload;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A real HTTP server as a class-wide OS-level fixture, ready when its port answers and its log says so. */
@IsolateTest
class ServerFixtureTest {
  static final int PORT = 18_000 + (int) (ProcessHandle.current().pid() % 1000);

  @Fixture
  static IsolateFixture server = IsolateFixture.of(Isolate.builder()
          .level(IsolationLevel.OS)
          .network(Network.HOST)
          .limits(Limits.builder().wallTime(Duration.ofMinutes(2)).build())
          .workload(Workload.command("/usr/bin/python3", "-u", "-m", "http.server", String.valueOf(PORT),
              "--bind", "127.0.0.1", "--directory", "/etc")))
      .waitingFor(Wait.forPort(PORT).withTimeout(Duration.ofSeconds(20)));

  @Test
  void serverAnswersOverHttp() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/hostname")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
  }

  @Test
  void injectsTheRunningIsolate(@Fixture Isolate isolate, @Fixture("server") IsolateFixture fixture) {
    assertEquals(IsolationLevel.OS, isolate.level());
    assertTrue(fixture.isRunning());
    assertTrue(fixture.output().contains("Serving HTTP"), fixture.output());
  }
}
