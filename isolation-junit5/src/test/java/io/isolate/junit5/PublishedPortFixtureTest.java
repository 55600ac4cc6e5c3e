package io.isolate.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Network;
import io.isolate.Output;
import io.isolate.Workload;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * Fixtures as Testcontainers users expect them: a free host port per fixture, a wait that is not ready before the
 * guest listens, an HTTP wait, log consumers beside the builder's own output, and parallel fixtures.
 */
class PublishedPortFixtureTest {
  /** A Python HTTP server that sleeps first, as a slow server would. */
  static Isolate.Builder slowServer(double sleepSeconds) {
    return Isolate.builder().level(IsolationLevel.OS).network(Network.LOOPBACK).publishPort(8000)
        .limits(Limits.builder().wallTime(Duration.ofMinutes(2)).build())
        .workload(Workload.command("/bin/sh", "-c", "echo starting; sleep " + sleepSeconds
            + "; exec /usr/bin/python3 -u -m http.server 8000 --bind 127.0.0.1 --directory /etc"));
  }

  static String get(int port, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body().length();
  }

  @Test
  void forListeningPortIsNotReadyBeforeTheGuestListens() throws Exception {
    IsolateExtension.requireLevel(IsolateFixture.of(slowServer(0)));
    long t0 = System.nanoTime();
    try (IsolateFixture fixture = IsolateFixture.of(slowServer(1.5)).waitingFor(Wait.forListeningPort()).start()) {
      long readyMillis = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(readyMillis >= 1400, "ready after " + readyMillis + " ms, before the server listened (1.5 s)");
      // ready means ready: the first request is served, not reset
      assertTrue(get(fixture.mappedPort(8000), "/hostname").startsWith("200 "));
    }
  }

  @Test
  void forHttpWaitsForTheStatusAndLogConsumersSeeEveryLine() throws Exception {
    IsolateExtension.requireLevel(IsolateFixture.of(slowServer(0)));
    List<String> lines = new CopyOnWriteArrayList<>();
    ByteArrayOutputStream own = new ByteArrayOutputStream();
    try (IsolateFixture fixture = IsolateFixture.of(slowServer(0.2).stdout(Output.to(own)))
        .withLogConsumer(lines::add)
        .waitingFor(Wait.allOf(Wait.forLogLine("starting"), Wait.forHttp("/hostname").forStatusCode(200)))
        .start()) {
      assertTrue(get(fixture.mappedPort(8000), "/hostname").startsWith("200 "));
      assertTrue(lines.contains("starting"), lines::toString);
      assertTrue(own.toString().contains("starting"), "the builder's own stdout keeps its output: " + own);
      assertTrue(fixture.output().contains("starting"), fixture::output);
    }
  }

  @Test
  void waitsNeedingPortsSayWhenThereAreNone() {
    IsolateExtension.requireLevel(IsolateFixture.of(slowServer(0)));
    FixtureException e = assertThrows(FixtureException.class, () -> IsolateFixture.of(Isolate.builder()
        .level(IsolationLevel.OS).workload(Workload.command("/bin/sleep", "5")))
        .waitingFor(Wait.forListeningPort()).start());
    assertTrue(e.getMessage().contains("publishes no port"), e.getMessage());
  }

  @Test
  void aFixtureOutsideAnIsolateTestClassSaysWhichAnnotationIsMissing() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> IsolateFixture.of(slowServer(0)).isolate());
    assertTrue(e.getMessage().contains("@io.isolate.junit5.IsolateTest") && e.getMessage().contains("@Isolated"),
        e.getMessage());
  }

  @IsolateTest
  @Execution(ExecutionMode.CONCURRENT)
  static class Parallel {
    @Fixture
    IsolateFixture server = IsolateFixture.of(slowServer(0.3)).waitingFor(Wait.forListeningPort());

    @RepeatedTest(4)
    void eachServerHasItsOwnFreePort() throws Exception {
      String answer = get(server.mappedPort(8000), "/hostname");
      if (!answer.startsWith("200 ")) {
        throw new AssertionError(answer);
      }
    }
  }

  @Test
  void fixturesWithFreePortsRunInParallel() {
    IsolateExtension.requireLevel(IsolateFixture.of(slowServer(0)));
    EngineTestKit.engine("junit-jupiter")
        .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
        .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
        .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", "4")
        .selectors(selectClass(Parallel.class)).execute()
        .testEvents().assertStatistics(s -> s.started(4).succeeded(4).failed(0));
  }
}
