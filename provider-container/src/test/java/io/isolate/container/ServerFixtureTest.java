package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.Termination;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real server as a test fixture: busybox httpd in an isolate, reached from the test, then shut down. */
class ServerFixtureTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireOsLevel();
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String get(URL url) throws IOException {
    HttpURLConnection c = (HttpURLConnection) url.openConnection();
    c.setConnectTimeout(500);
    c.setReadTimeout(2000);
    try (InputStream in = c.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      c.disconnect();
    }
  }

  @Test
  void servesHttpFromAReadOnlyMountUntilKilled(@TempDir Path www) throws Exception {
    Files.writeString(www.resolve("index.html"), "hello from the isolate\n");
    int port = freePort();
    try (Isolate isolate = Os.command("/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:" + port, "-h", "/www")
        .mount(Mount.readOnly(www, "/www")).network(Network.HOST).build()) {
      Execution server = isolate.start();
      URL url = new URL("http://127.0.0.1:" + port + "/index.html");
      String body = null;
      for (int i = 0; i < 100 && body == null; i++) {
        try {
          body = get(url);
        } catch (IOException notYet) {
          Thread.sleep(20);
        }
      }
      assertEquals("hello from the isolate\n", body);
      server.kill();
      ExitResult r = server.await();
      assertEquals(Termination.KILLED, r.termination(), r::toString);
      assertFalse(server.isAlive());
    }
    try (ServerSocket reuse = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      // the port is free again: the server is gone
      assertEquals(port, reuse.getLocalPort());
    }
  }
}
