package io.isolate.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import io.isolate.junit5.Fixture;
import io.isolate.junit5.IsolateFixture;
import io.isolate.junit5.IsolateTest;
import io.isolate.junit5.Wait;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The test-fixture example: a real web server (busybox httpd from the Debian package busybox-static) isolated
 * at the OS level, serving a read-only directory on a free host port, started once for the class and ready when the
 * server itself listens.
 */
@IsolateTest
class WebServerFixtureExampleTest {
  static final Path SITE = site();

  @Fixture
  static IsolateFixture web = IsolateFixture.of(Isolate.builder()
          .level(IsolationLevel.OS)
          .network(Network.LOOPBACK)
          .publishPort(8080)
          .mount(Mount.readOnly(SITE, "/www"))
          .limits(Limits.builder().memory(32, SizeUnit.MEGABYTES).pids(16).wallTime(Duration.ofMinutes(2)).build())
          .workload(Workload.command("/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www")))
      .waitingFor(Wait.forListeningPort().withTimeout(Duration.ofSeconds(20)));

  private static Path site() {
    try {
      Path dir = Files.createTempDirectory("isolate-www");
      Files.writeString(dir.resolve("index.html"), "<h1>served from an isolate</h1>\n");
      dir.toFile().deleteOnExit();
      dir.resolve("index.html").toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void servesTheMountedPage() throws Exception {
    HttpResponse<String> page = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.mappedPort(8080) + "/index.html")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode());
    assertEquals("<h1>served from an isolate</h1>\n", page.body());
  }

  @Test
  void servesNothingBeyondItsDocumentRoot() throws Exception {
    HttpResponse<String> page = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.mappedPort(8080) + "/etc/passwd")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, page.statusCode());
  }
}
