package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.InvalidSpecException;
import io.isolate.IsolateSpec;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.seccomp.SeccompProfile;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LOOPBACK isolate's server reached from the host through a published port: the helper listens on the host's
 * 127.0.0.1 before it unshares, a proxy inside the isolate connects to the guest port. The API cannot ask for
 * published ports with {@code Isolate.Builder.publishPort}; the first test drives the policy and the helper
 * directly, the second goes through the API.
 */
class PublishedPortsTest {
  private static SandboxPolicy.Inputs inputs(Path status, List<io.isolate.PublishedPort> ports) {
    Path runRoot = ContainerProvider.runRoot();
    return new SandboxPolicy.Inputs(HelperBinary.path(), status, Path.of("/tmp"), HelperBinary.currentUid(),
        HelperBinary.currentGid(), List.of(), List.of(), List.of(),
        SeccompProfile.of(List.of(), List.of()).toBpf(), runRoot.resolve(ContainerProvider.EMPTY_FILE),
        runRoot.resolve(ContainerProvider.EMPTY_DIR), ports);
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
  void aServerInALoopbackIsolateIsReachableThroughItsPublishedPort(@TempDir Path www) throws Exception {
    Prerequisites.requireOsLevel();
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
    Files.writeString(www.resolve("index.html"), "published\n");
    int hostPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      hostPort = s.getLocalPort();
    }
    IsolateSpec spec = Os.command("/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:8000", "-h", "/www")
        .mount(Mount.readOnly(www, "/www")).network(Network.LOOPBACK).spec();
    List<String> argv = new SandboxPolicy(HostLayout.REAL).command(spec,
        inputs(www.resolve("status"), List.of(new io.isolate.PublishedPort(hostPort, 8000)))).argv();
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().clear();
    Process helper = pb.start();
    try {
      URL url = new URL("http://127.0.0.1:" + hostPort + "/index.html");
      String body = null;
      for (int i = 0; i < 100 && body == null; i++) {
        try {
          body = get(url);
        } catch (IOException notYet) {
          Thread.sleep(20);
        }
      }
      assertEquals("published\n", body);
      assertEquals("published\n", get(url), "a second connection works too");
    } finally {
      helper.destroyForcibly();
      assertTrue(helper.waitFor(5, TimeUnit.SECONDS));
    }
    // the host port is free again once the isolate is gone (its processes die just after the helper)
    for (int i = 0; ; i++) {
      try (ServerSocket reuse = new ServerSocket(hostPort, 1, InetAddress.getLoopbackAddress())) {
        assertEquals(hostPort, reuse.getLocalPort());
        break;
      } catch (java.net.BindException stillHeld) {
        if (i == 100) {
          throw stillHeld;
        }
        Thread.sleep(20);
      }
    }
  }

  @Test
  void aPublishedPortIsOneHelperOptionAfterTheLoopback(@TempDir Path tmp) {
    IsolateSpec spec = Os.command("/bin/true").network(Network.LOOPBACK).spec();
    String argv = String.join(" ", new SandboxPolicy(HostLayout.REAL).command(spec,
        inputs(tmp.resolve("s"), List.of(new io.isolate.PublishedPort(18080, 80)))).argv());
    assertTrue(argv.contains(" --loopback --publish 18080 80 --base /tmp "), argv);
  }

  @Test
  void publishedPortsNeedTheLoopbackNetwork(@TempDir Path tmp) {
    IsolateSpec spec = Os.command("/bin/true").spec();
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> new SandboxPolicy(HostLayout.REAL)
        .command(spec, inputs(tmp.resolve("s"), List.of(new io.isolate.PublishedPort(8080, 80)))));
    assertTrue(e.getMessage().contains("LOOPBACK"), e.getMessage());
  }

  @Test
  void aPublishedPortWorksThroughTheApiAndIsFreedOnClose(@TempDir Path www) throws Exception {
    Prerequisites.requireOsLevel();
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
    Files.writeString(www.resolve("index.html"), "through the API\n");
    int hostPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      hostPort = s.getLocalPort();
    }
    try (io.isolate.Isolate isolate = Os.command("/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:8000", "-h", "/www")
        .mount(Mount.readOnly(www, "/www")).network(Network.LOOPBACK).publishPort(hostPort, 8000).build()) {
      io.isolate.Execution server = isolate.start();
      URL url = new URL("http://127.0.0.1:" + hostPort + "/index.html");
      String body = null;
      for (int i = 0; i < 100 && body == null; i++) {
        try {
          body = get(url);
        } catch (IOException notYet) {
          Thread.sleep(20);
        }
      }
      assertEquals("through the API\n", body);
      assertTrue(server.isAlive());
    }
    for (int i = 0; ; i++) {
      try (ServerSocket reuse = new ServerSocket(hostPort, 1, InetAddress.getLoopbackAddress())) {
        break;
      } catch (java.net.BindException stillHeld) {
        if (i == 100) {
          throw stillHeld;
        }
        Thread.sleep(20);
      }
    }
  }

  @Test
  void aFreeHostPortIsChosenAtStartAndTold(@TempDir Path www) throws Exception {
    Prerequisites.requireOsLevel();
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
    Files.writeString(www.resolve("index.html"), "random port\n");
    io.isolate.Isolate.Builder b = Os.command("/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:8000", "-h", "/www")
        .mount(Mount.readOnly(www, "/www")).network(Network.LOOPBACK).publishPort(8000);
    try (io.isolate.Isolate one = b.build(); io.isolate.Isolate two = b.build()) {
      assertThrows(IllegalStateException.class, () -> one.mappedPort(8000), "not started yet");
      assertThrows(IllegalArgumentException.class, () -> one.mappedPort(9999), "not published");
      one.start();
      two.start();
      int first = one.mappedPort(8000);
      int second = two.mappedPort(8000);
      assertTrue(first > 0 && second > 0 && first != second, first + " " + second);
      assertEquals("random port\n", getWhenUp(new URL("http://127.0.0.1:" + first + "/index.html")));
      assertEquals("random port\n", getWhenUp(new URL("http://127.0.0.1:" + second + "/index.html")));
    }
  }

  @Test
  void theHostPortRefusesConnectionsUntilTheGuestListens(@TempDir Path www) throws Exception {
    Prerequisites.requireOsLevel();
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
    Files.writeString(www.resolve("index.html"), "late but ready\n");
    try (io.isolate.Isolate isolate = Os.command("/bin/busybox", "sh", "-c",
        "sleep 1.5; exec /bin/busybox httpd -f -p 127.0.0.1:8000 -h /www")
        .mount(Mount.readOnly(www, "/www")).network(Network.LOOPBACK).publishPort(8000).build()) {
      long started = System.nanoTime();
      isolate.start();
      int port = isolate.mappedPort(8000);
      for (int i = 0; ; i++) {
        try (java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
          long readyMillis = (System.nanoTime() - started) / 1_000_000;
          assertTrue(readyMillis >= 1400, "the host port accepted " + readyMillis + " ms after start, before the "
              + "guest listened (at 1.5 s)");
          break;
        } catch (java.net.ConnectException refused) {
          assertTrue(i < 1000, "the host port never accepted");
          Thread.sleep(10);
        }
      }
      // the first connection the host accepts is served: no "connection reset" from a relay with nobody behind it
      assertEquals("late but ready\n", get(new URL("http://127.0.0.1:" + port + "/index.html")));
    }
  }

  private static String getWhenUp(URL url) throws Exception {
    for (int i = 0; ; i++) {
      try {
        return get(url);
      } catch (IOException notYet) {
        if (i == 200) {
          throw notYet;
        }
        Thread.sleep(20);
      }
    }
  }

  @Test
  void theApiRefusesPublishedPortsWithoutTheLoopbackNetwork() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> Os.command("/bin/true").network(Network.HOST).publishPort(18081, 80).spec());
    assertTrue(e.getMessage().contains("need level OS with network LOOPBACK"), e.getMessage());
  }
}
