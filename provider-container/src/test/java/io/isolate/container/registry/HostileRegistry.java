package io.isolate.container.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.isolate.ImageReference;
import io.isolate.container.RegistrySettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A registry on 127.0.0.1 that answers whatever a test or a fuzzer gives it: a {@code WWW-Authenticate} challenge
 * (blank: no authentication; {@code <REALM>} becomes its own token endpoint), the manifest a tag names, the manifest
 * any digest names, the configuration blob, and the token service's answer. The subject under test is the client's
 * handling of hostile answers, so the server is deliberately a puppet.
 */
final class HostileRegistry implements AutoCloseable {
  private final HttpServer server;
  private final Path cache;
  private volatile String[] docs = new String[5];
  private int runs;

  HostileRegistry() throws IOException {
    cache = Files.createTempDirectory("isolate-hostile-registry");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.createContext("/", this::answer);
    server.start();
  }

  /**
   * Resolves {@code 127.0.0.1:PORT/hostile/image:1} against these answers, in a cache of its own.
   *
   * @throws IOException as the puller refuses them
   */
  ImagePuller.Resolved resolve(String challenge, String tagManifest, String digestManifest, String config,
      String token) throws IOException {
    docs = new String[] {challenge, tagManifest, digestManifest, config, token};
    RegistrySettings settings = new RegistrySettings(Set.of(), Map.of(), Optional.of(cache.resolve("no-config.json")),
        true, null);
    ImagePuller puller = new ImagePuller(cache.resolve("run-" + runs++), settings);
    return puller.resolve(ImageReference.parse("127.0.0.1:" + port() + "/hostile/image:1"));
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void answer(HttpExchange x) throws IOException {
    String[] d = docs;
    String path = x.getRequestURI().getPath();
    String body;
    int status = 200;
    if (path.startsWith("/token")) {
      body = d[4];
    } else if (d[0] != null && !d[0].isBlank() && x.getRequestHeaders().getFirst("Authorization") == null) {
      x.getResponseHeaders().add("WWW-Authenticate", d[0].replace("<REALM>", "http://127.0.0.1:" + port()
          + "/token").replaceAll("[\\r\\n]", " "));
      status = 401;
      body = "";
    } else if (path.contains("/manifests/sha256:")) {
      body = d[2];
    } else if (path.contains("/manifests/")) {
      body = d[1];
    } else if (path.contains("/blobs/")) {
      body = d[3];
    } else {
      status = 404;
      body = "{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"" + path + "\"}]}";
    }
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    try (var walk = Files.walk(cache)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // a temporary directory
    }
  }
}
