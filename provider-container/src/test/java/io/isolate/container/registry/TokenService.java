package io.isolate.container.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A bearer-token service for the registry's {@code token} authentication, as Docker Hub's and GHCR's work: a client
 * the registry turned away asks it for a token for a repository scope (with Basic credentials when it has them),
 * and gets a JWT signed with RS256 by a key whose self-signed certificate the registry trusts (the certificate
 * travels in the token's {@code x5c} header). Tokens go only to the test's user, or to anyone when
 * {@code anonymous}; they grant pull and push of the scope's repository.
 */
final class TokenService implements AutoCloseable {
  static final String SERVICE = "isolate-test";
  static final String ISSUER = "isolate-test-issuer";

  private final HttpServer server;
  private final PrivateKey key;
  private final Certificate certificate;
  private final boolean anonymous;
  final Path certificateFile;
  final List<String> requests = new CopyOnWriteArrayList<>();

  private TokenService(HttpServer server, PrivateKey key, Certificate certificate, Path certificateFile,
      boolean anonymous) {
    this.server = server;
    this.key = key;
    this.certificate = certificate;
    this.certificateFile = certificateFile;
    this.anonymous = anonymous;
  }

  /** Makes a key pair and its certificate with the JDK's keytool, and serves tokens on 127.0.0.1. */
  static TokenService start(Path dir, boolean anonymous) throws Exception {
    Files.createDirectories(dir);
    Path store = dir.resolve("token.p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    run(keytool.toString(), "-genkeypair", "-alias", "token", "-keyalg", "RSA", "-keysize", "2048", "-dname",
        "CN=isolate-test-token", "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12",
        "-storepass", "changeit");
    Path pem = dir.resolve("token.pem");
    run(keytool.toString(), "-exportcert", "-rfc", "-alias", "token", "-keystore", store.toString(), "-storepass",
        "changeit", "-file", pem.toString());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    TokenService t = new TokenService(server, (PrivateKey) ks.getKey("token", "changeit".toCharArray()),
        ks.getCertificate("token"), pem, anonymous);
    server.createContext("/token", t::answer);
    server.start();
    return t;
  }

  private static void run(String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", argv) + ": " + out);
    }
  }

  String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  /** The registry configuration's auth section for this service. */
  String registryAuth() {
    return "auth:\n  token:\n    realm: " + realm() + "\n    service: " + SERVICE + "\n    issuer: " + ISSUER
        + "\n    rootcertbundle: " + certificateFile + "\n";
  }

  private void answer(HttpExchange x) throws IOException {
    String query = x.getRequestURI().getRawQuery() == null ? "" : x.getRequestURI().getRawQuery();
    String authorization = x.getRequestHeaders().getFirst("Authorization");
    requests.add(query + (authorization == null ? " (anonymous)" : " (with credentials)"));
    boolean authorized = authorization != null && authorization.equals("Basic " + Base64.getEncoder()
        .encodeToString((LocalRegistry.USER + ":" + LocalRegistry.PASSWORD).getBytes(StandardCharsets.UTF_8)));
    String scope = "";
    for (String part : query.split("&")) {
      if (part.startsWith("scope=")) {
        scope = URLDecoder.decode(part.substring(6), StandardCharsets.UTF_8);
      }
    }
    if (!authorized && !anonymous) {
      send(x, 401, "{\"details\":\"credentials required\"}");
      return;
    }
    String[] s = scope.split(":");
    String access = s.length == 3 ? "[{\"type\":\"repository\",\"name\":\"" + s[1]
        + "\",\"actions\":[\"pull\",\"push\"]}]" : "[]";
    long now = System.currentTimeMillis() / 1000;
    String header = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\""
        + Base64.getEncoder().encodeToString(encoded()) + "\"]}");
    String claims = b64("{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + (authorized ? LocalRegistry.USER : "")
        + "\",\"aud\":\"" + SERVICE + "\",\"exp\":" + (now + 300) + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now
        + ",\"jti\":\"" + UUID.randomUUID() + "\",\"access\":" + access + "}");
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(key);
      rsa.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
      String token = header + "." + claims + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(rsa.sign());
      send(x, 200, "{\"token\":\"" + token + "\",\"expires_in\":300}");
    } catch (java.security.GeneralSecurityException e) {
      send(x, 500, "{}");
    }
  }

  private byte[] encoded() {
    try {
      return certificate.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange x, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", "application/json");
    x.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
