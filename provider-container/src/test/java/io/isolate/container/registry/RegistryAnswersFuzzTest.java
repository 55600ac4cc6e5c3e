package io.isolate.container.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.isolate.ImageReference;
import io.isolate.InvalidSpecException;
import io.isolate.container.RegistrySettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Fuzz target: a hostile registry's answers. A server on 127.0.0.1 answers with the input's documents, separated by
 * lines {@code ----}: a {@code WWW-Authenticate} challenge (empty: no authentication), the manifest a tag names, the
 * manifest any digest names, the configuration blob, and the token service's answer. Placeholders become the digests
 * and sizes of the other documents ({@code <M2>} the second manifest's digest, {@code <M2S>} its size, {@code <C>}
 * and {@code <CS>} the configuration's), so that mutations reach past the digest checks into the parsing of
 * challenges, indexes, manifests and tokens. Resolving must give an image or fail with an {@link IOException}; the
 * reference parser is fed the same bytes and may only refuse with {@link InvalidSpecException}. {@code mvn verify}
 * replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class RegistryAnswersFuzzTest {
  private static final String SEPARATOR = "\n----\n";
  private static HttpServer server;
  private static volatile String[] docs = new String[0];
  private static Path cache;
  private static int count;

  @FuzzTest
  void resolvesOrRefusesAnyAnswers(byte[] input) throws IOException {
    String text = new String(input, StandardCharsets.UTF_8);
    try {
      ImageReference.parse(text.lines().findFirst().orElse(""));
    } catch (InvalidSpecException refused) {
      assertNotNull(refused.getMessage());
    }
    start();
    String[] parts = text.split(SEPARATOR, 5);
    String challenge = parts[0];
    String config = parts.length > 3 ? parts[3] : "{}";
    String configHex = ImagePuller.sha256(config.getBytes(StandardCharsets.UTF_8));
    String second = fill(parts.length > 2 ? parts[2] : "", configHex, config, null, null);
    String secondHex = ImagePuller.sha256(second.getBytes(StandardCharsets.UTF_8));
    String first = fill(parts.length > 1 ? parts[1] : "", configHex, config, secondHex, second);
    String token = parts.length > 4 ? parts[4] : "{\"token\":\"t\"}";
    docs = new String[] {challenge, first, second, config, token};
    // each input its own cache, so that nothing an earlier input left decides this one
    RegistrySettings settings = new RegistrySettings(Set.of(), Map.of(), java.util.Optional.of(cache.resolve(
        "no-config.json")), true, null);
    ImagePuller puller = new ImagePuller(cache.resolve("run-" + count++), settings);
    try {
      ImagePuller.Resolved r = puller.resolve(ImageReference.parse("127.0.0.1:" + server.getAddress().getPort()
          + "/fuzz/image:1"));
      assertEquals(configHex, ImagePuller.sha256(r.config()));
    } catch (IOException refused) {
      assertNotNull(refused.getMessage());
    }
  }

  private static String fill(String doc, String configHex, String config, String manifestHex, String manifest) {
    String out = doc.replace("<CS>", Integer.toString(config.getBytes(StandardCharsets.UTF_8).length))
        .replace("<C>", "sha256:" + configHex);
    if (manifestHex != null) {
      out = out.replace("<M2S>", Integer.toString(manifest.getBytes(StandardCharsets.UTF_8).length))
          .replace("<M2>", "sha256:" + manifestHex);
    }
    return out;
  }

  private static synchronized void start() throws IOException {
    if (server != null) {
      return;
    }
    cache = Files.createTempDirectory("isolate-registry-fuzz");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(cache)));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.createContext("/", RegistryAnswersFuzzTest::answer);
    server.start();
  }

  private static void answer(HttpExchange x) throws IOException {
    String[] d = docs;
    String path = x.getRequestURI().getPath();
    String body;
    int status = 200;
    if (path.startsWith("/token")) {
      body = d[4];
    } else if (!d[0].isBlank() && x.getRequestHeaders().getFirst("Authorization") == null) {
      x.getResponseHeaders().add("WWW-Authenticate", d[0].replace("<REALM>", "http://127.0.0.1:"
          + server.getAddress().getPort() + "/token").replaceAll("[\\r\\n]", " "));
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
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void delete(Path dir) {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // a temporary directory
    }
  }
}
