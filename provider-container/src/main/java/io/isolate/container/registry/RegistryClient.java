package io.isolate.container.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isolate.container.RegistrySettings;
import io.isolate.container.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Speaks HTTP to one registry, through the JDK's {@link HttpClient}: its mirrors first, then the registry itself;
 * HTTPS with verified certificates, except for a registry on a loopback address or marked insecure, where HTTPS with
 * any certificate is tried and then plain HTTP (as Docker does). Authentication follows the registry's challenge:
 * anonymous, Basic with the user's credentials, or a bearer token fetched from the realm it names (with the
 * credentials, when there are any) for the repository's pull scope. Redirects (blobs served from a CDN) are followed
 * by hand, at most five, never from HTTPS to HTTP, and without the registry's authorization once the host changes.
 */
final class RegistryClient {
  private static final String DOCKER_HUB_HOST = "registry-1.docker.io";
  private static final int MAX_REDIRECTS = 5;
  private static final int MAX_TOKEN_BYTES = 1 << 20;
  private static final int MAX_ERROR_BYTES = 64 << 10;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(60);

  /** The scheme each insecure host answered on, found once per JVM (a TLS attempt on a plain HTTP port costs). */
  private static final Map<String, String> INSECURE_SCHEMES = new ConcurrentHashMap<>();
  private static volatile HttpClient verifying;
  private static volatile HttpClient trusting;

  private final String registry;
  private final RegistrySettings settings;
  private final List<Endpoint> endpoints = new ArrayList<>();
  /** Authorization header values by endpoint and repository (a token is scoped to one repository). */
  private final Map<String, String> authorizations = new ConcurrentHashMap<>();
  private volatile Optional<Credentials> credentials;

  /** One base address: a mirror or the registry. */
  private static final class Endpoint {
    final String host;
    final boolean insecure;
    Endpoint(String host, boolean insecure) {
      this.host = host;
      this.insecure = insecure;
    }

    /** The scheme to use, or null for an insecure host not tried yet. */
    String scheme() {
      return insecure ? INSECURE_SCHEMES.get(host) : "https";
    }
  }

  RegistryClient(String registry, RegistrySettings settings) {
    this.registry = registry;
    this.settings = settings;
    for (String mirror : settings.mirrors().getOrDefault(registry, List.of())) {
      endpoints.add(new Endpoint(mirror, isInsecure(mirror, settings)));
    }
    String host = registry.equals("docker.io") ? DOCKER_HUB_HOST : registry;
    endpoints.add(new Endpoint(host, isInsecure(registry, settings)));
  }

  String registry() {
    return registry;
  }

  /** Whether {@code host[:port]} may be reached without verified TLS: marked so, or on a loopback address. */
  static boolean isInsecure(String hostAndPort, RegistrySettings settings) {
    if (settings.insecure().contains(hostAndPort)) {
      return true;
    }
    String host = hostAndPort;
    if (host.startsWith("[")) {
      host = host.substring(1, Math.max(1, host.indexOf(']')));
    } else if (host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    if (host.equals("localhost")) {
      return true;
    }
    if (!host.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
      return false; // a name: not resolved here, so that a DNS answer cannot make a registry insecure
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** An answer: the response and the endpoint that gave it. */
  record Answer(HttpResponse<InputStream> response, String endpoint) implements AutoCloseable {
    int status() {
      return response.statusCode();
    }

    InputStream body() {
      return response.body();
    }

    Optional<String> header(String name) {
      return response.headers().firstValue(name);
    }

    @Override
    public void close() throws IOException {
      response.body().close();
    }
  }

  /**
   * GETs {@code /v2/<repository>/<path>} from the first endpoint that serves it (a mirror that fails or does not
   * have it hands over to the next), authenticating as the endpoint asks.
   *
   * @param headers extra request headers (Accept, Range)
   * @return the answer, 2xx; the caller closes it
   * @throws IOException saying what the registry answered, or why it could not be reached
   */
  Answer get(String repository, String path, Map<String, String> headers) throws IOException {
    IOException last = null;
    for (Endpoint endpoint : endpoints) {
      try {
        HttpResponse<InputStream> r = send(endpoint, repository, "/v2/" + repository + "/" + path, headers);
        if (r.statusCode() / 100 == 2) {
          return new Answer(r, endpoint.host);
        }
        last = new RegistryException(r.statusCode(), describe(r, endpoint, repository, path));
      } catch (RegistryException e) {
        last = e;
      } catch (java.net.ConnectException | java.net.UnknownHostException | SSLException e) {
        // the JDK's connection errors often carry no message: say which endpoint and what happened
        last = new IOException("cannot reach " + endpoint.host + " (" + (e instanceof java.net.ConnectException
            ? "connection refused" : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName())
            + ")", e);
      } catch (IOException e) {
        last = e.getMessage() != null ? e : new IOException("cannot reach " + endpoint.host + " ("
            + e.getClass().getSimpleName() + ")", e);
      }
    }
    throw last;
  }

  private HttpResponse<InputStream> send(Endpoint endpoint, String repository, String path,
      Map<String, String> headers) throws IOException {
    String key = endpoint.host + "|" + repository;
    HttpResponse<InputStream> r = sendWithScheme(endpoint, path, headers, authorizations.get(key));
    if (r.statusCode() != 401) {
      return r;
    }
    String challengeHeader = r.headers().firstValue("WWW-Authenticate").orElse(null);
    drain(r);
    AuthChallenge challenge;
    try {
      challenge = AuthChallenge.parse(challengeHeader);
    } catch (IllegalArgumentException e) {
      throw new IOException(endpoint.host + " refused anonymous access and its challenge is malformed: "
          + e.getMessage());
    }
    String authorization = authorize(endpoint, repository, challenge);
    authorizations.put(key, authorization);
    return sendWithScheme(endpoint, path, headers, authorization);
  }

  /** The Authorization header value that answers {@code challenge}. */
  private String authorize(Endpoint endpoint, String repository, AuthChallenge challenge) throws IOException {
    Optional<Credentials> creds = credentials();
    switch (challenge.scheme()) {
      case "basic" -> {
        return "Basic " + creds.orElseThrow(() -> new RegistryException(401, endpoint.host + " asks for a user "
            + "name and password, and " + settings.dockerConfigFile() + " has none for " + registry)).basic();
      }
      case "bearer" -> {
        return "Bearer " + token(endpoint, repository, challenge, creds);
      }
      default -> throw new IOException(endpoint.host + " asks for authentication scheme '" + challenge.scheme()
          + "', which is not supported (Basic and Bearer are)");
    }
  }

  private String token(Endpoint endpoint, String repository, AuthChallenge challenge, Optional<Credentials> creds)
      throws IOException {
    String realm = challenge.parameter("realm").orElseThrow(() -> new IOException(endpoint.host
        + " asks for a bearer token but names no realm"));
    URI realmUri;
    try {
      realmUri = new URI(realm);
    } catch (java.net.URISyntaxException e) {
      throw new IOException(endpoint.host + " names a malformed token realm: " + realm);
    }
    String realmScheme = realmUri.getScheme() == null ? "" : realmUri.getScheme().toLowerCase(java.util.Locale.ROOT);
    boolean realmInsecure = realmUri.getHost() != null && isInsecure(realmUri.getHost(), settings);
    if (!realmScheme.equals("https") && !(realmScheme.equals("http") && (endpoint.insecure || realmInsecure))) {
      // credentials travel to the realm: never in clear text to a registry that is not known to be local or insecure
      throw new IOException(endpoint.host + " names the token realm " + realm + ", which is not HTTPS");
    }
    String scope = "repository:" + repository + ":pull";
    StringBuilder query = new StringBuilder();
    challenge.parameter("service").ifPresent(s -> query.append("service=").append(encode(s)).append('&'));
    query.append("scope=").append(encode(scope));
    URI uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(HEADERS_TIMEOUT).GET();
    creds.ifPresent(c -> request.header("Authorization", "Basic " + c.basic()));
    HttpResponse<InputStream> r = sendOnce(request.build(), endpoint.insecure || realmInsecure);
    byte[] body;
    try (InputStream in = r.body()) {
      body = in.readNBytes(MAX_TOKEN_BYTES + 1);
    }
    if (r.statusCode() != 200) {
      throw new RegistryException(r.statusCode(), "the token service " + realm + " answered " + r.statusCode()
          + (creds.isPresent() ? " for the credentials of " + registry : " to an anonymous request for " + scope
              + " (credentials for " + registry + " go into " + settings.dockerConfigFile() + ")"));
    }
    if (body.length > MAX_TOKEN_BYTES) {
      throw new IOException("the token service " + realm + " answered more than " + MAX_TOKEN_BYTES + " bytes");
    }
    ObjectNode answer = Json.parseObject(body, "the answer of the token service " + realm);
    String token = Json.string(answer, "token", "the token answer");
    if (token == null || token.isEmpty()) {
      token = Json.string(answer, "access_token", "the token answer");
    }
    if (token == null || token.isEmpty() || !token.matches("[\\x21-\\x7e]+")) {
      throw new IOException("the token service " + realm + " gave no usable token");
    }
    return token;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private Optional<Credentials> credentials() throws IOException {
    Optional<Credentials> c = credentials;
    if (c == null) {
      Path file = settings.dockerConfigFile();
      c = Credentials.lookup(file, registry);
      credentials = c;
    }
    return c;
  }

  /**
   * Sends on the endpoint's scheme, finding it first for an insecure endpoint (HTTPS with any certificate, then HTTP).
   */
  private HttpResponse<InputStream> sendWithScheme(Endpoint endpoint, String path, Map<String, String> headers,
      String authorization) throws IOException {
    String scheme = endpoint.scheme();
    if (scheme != null) {
      return follow(URI.create(scheme + "://" + endpoint.host + path), headers, authorization, endpoint.insecure);
    }
    try {
      HttpResponse<InputStream> r = follow(URI.create("https://" + endpoint.host + path), headers, authorization, true);
      INSECURE_SCHEMES.put(endpoint.host, "https");
      return r;
    } catch (SSLException | java.net.ConnectException e) {
      HttpResponse<InputStream> r = follow(URI.create("http://" + endpoint.host + path), headers, authorization, true);
      INSECURE_SCHEMES.put(endpoint.host, "http");
      return r;
    }
  }

  /** Sends a GET and follows redirects by hand (see the class comment for the rules). */
  private HttpResponse<InputStream> follow(URI uri, Map<String, String> headers, String authorization,
      boolean insecure) throws IOException {
    URI current = uri;
    boolean sameHost = true;
    for (int hop = 0; ; hop++) {
      HttpRequest.Builder request = HttpRequest.newBuilder(current).timeout(HEADERS_TIMEOUT).GET();
      headers.forEach(request::header);
      if (authorization != null && sameHost) {
        request.header("Authorization", authorization);
      }
      HttpResponse<InputStream> r = sendOnce(request.build(), insecure);
      int status = r.statusCode();
      if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
        return r;
      }
      drain(r);
      if (hop == MAX_REDIRECTS) {
        throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + uri.getHost());
      }
      String location = r.headers().firstValue("Location").orElse(null);
      if (location == null) {
        throw new IOException(current.getHost() + " redirected without a Location");
      }
      URI next;
      try {
        next = current.resolve(new URI(location));
      } catch (java.net.URISyntaxException e) {
        throw new IOException(current.getHost() + " redirected to a malformed location");
      }
      if (!"https".equals(next.getScheme()) && !("http".equals(next.getScheme()) && "http".equals(current.getScheme()))) {
        throw new IOException(current.getHost() + " redirected from " + current.getScheme() + " to " + next.getScheme()
            + ", which is refused");
      }
      sameHost = sameHost && java.util.Objects.equals(next.getHost(), uri.getHost())
          && next.getPort() == uri.getPort();
      current = next;
    }
  }

  private static HttpResponse<InputStream> sendOnce(HttpRequest request, boolean insecure) throws IOException {
    try {
      return client(insecure).send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while talking to " + request.uri().getHost());
    } catch (java.net.http.HttpTimeoutException e) {
      throw new IOException(request.uri().getHost() + " did not answer within " + HEADERS_TIMEOUT.toSeconds() + " s");
    }
  }

  private static HttpClient client(boolean insecure) {
    HttpClient c = insecure ? trusting : verifying;
    if (c == null) {
      synchronized (RegistryClient.class) {
        c = insecure ? trusting : verifying;
        if (c == null) {
          HttpClient.Builder b = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
              .connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1);
          if (insecure) {
            b.sslContext(trustingContext());
          }
          c = b.build();
          if (insecure) {
            trusting = c;
          } else {
            verifying = c;
          }
        }
      }
    }
    return c;
  }

  /** A TLS context that accepts any certificate: only for registries on loopback addresses or marked insecure. */
  private static SSLContext trustingContext() {
    TrustManager any = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {any}, new SecureRandom());
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM", e);
    }
  }

  private static void drain(HttpResponse<InputStream> r) {
    try (InputStream in = r.body()) {
      in.readNBytes(MAX_ERROR_BYTES);
    } catch (IOException ignored) {
      // the connection goes with it
    }
  }

  /** What a registry's error answer says: its status and the first of its error codes and messages. */
  private String describe(HttpResponse<InputStream> r, Endpoint endpoint, String repository, String path) {
    String said = "";
    try (InputStream in = r.body()) {
      byte[] body = in.readNBytes(MAX_ERROR_BYTES);
      ObjectNode errors = Json.parseObject(body, "an error answer");
      var list = Json.array(errors, "errors", "an error answer");
      if (list != null && !list.isEmpty()) {
        ObjectNode first = Json.element(list, 0, "an error answer");
        String code = Json.string(first, "code", "an error");
        String message = Json.string(first, "message", "an error");
        said = ": " + (code == null ? "" : code + " ") + (message == null ? "" : message);
      }
    } catch (IOException | RuntimeException e) {
      // not the registry's JSON error format: the status says enough
    }
    said = said.replaceAll("[^\\x20-\\x7e]", "?");
    return endpoint.host + " answered " + r.statusCode() + " for " + repository + "/" + path
        + (said.length() > 300 ? said.substring(0, 300) + "..." : said);
  }

  /** A registry's refusal, with its HTTP status. */
  static final class RegistryException extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;

    RegistryException(int status, String message) {
      super(message);
      this.status = status;
    }
  }
}
