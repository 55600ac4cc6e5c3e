package io.isolate.container.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isolate.container.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;

/**
 * A user name and password for one registry, from Docker's {@code config.json} as Docker reads it: the credential
 * helper the file names for the registry ({@code credHelpers.<registry>}, else {@code credsStore}), else the
 * registry's {@code auths} entry (base64 of {@code user:password} in {@code auth}, or {@code username}/{@code
 * password}). Docker Hub's entry is keyed {@code https://index.docker.io/v1/}.
 *
 * <p>A helper is the program {@code docker-credential-NAME} found on the {@code PATH}, run as Docker runs it: the
 * argument {@code get}, the server's name on stdin, a JSON answer {@code {"Username", "Secret"}} on stdout. The
 * name comes from the user's own file, never from a registry, and must be letters, digits, '-', '_' or '.'; the
 * program gets 10 seconds and 64 KiB of answer. A helper that knows no credentials for the server (it exits non-zero,
 * as {@code docker-credential-desktop} does with "credentials not found") means none, as for Docker.
 */
record Credentials(String user, String secret) {
  private static final long MAX_CONFIG_BYTES = 1 << 20;

  /** {@code user:secret} in base64, for Basic authentication. */
  String basic() {
    return Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "Credentials[" + user + ", ***]";
  }

  /**
   * The credentials for {@code registry} in {@code configFile}, if it has any.
   *
   * @throws IOException when the file exists but cannot be read or is malformed
   */
  static Optional<Credentials> lookup(Path configFile, String registry) throws IOException {
    byte[] bytes;
    try {
      if (Files.size(configFile) > MAX_CONFIG_BYTES) {
        throw new IOException(configFile + " is larger than " + MAX_CONFIG_BYTES + " bytes");
      }
      bytes = Files.readAllBytes(configFile);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    String where = "the Docker configuration " + configFile;
    ObjectNode config = Json.parseObject(bytes, where);
    String helper = helperFor(config, registry, where);
    if (helper != null) {
      return fromHelper(helper, registry);
    }
    ObjectNode auths = Json.object(config, "auths", where);
    if (auths == null) {
      return Optional.empty();
    }
    for (String key : keysFor(registry)) {
      JsonNode entry = auths.get(key);
      if (entry instanceof ObjectNode e) {
        return Optional.ofNullable(fromEntry(e, where + " (auths." + key + ")"));
      }
    }
    return Optional.empty();
  }

  /** The helper the configuration names for {@code registry}, or null. */
  private static String helperFor(ObjectNode config, String registry, String where) throws IOException {
    ObjectNode helpers = Json.object(config, "credHelpers", where);
    String helper = null;
    for (String key : keysFor(registry)) {
      if (helpers != null && helpers.get(key) != null) {
        helper = Json.string(helpers, key, where + " (credHelpers)");
        break;
      }
    }
    if (helper == null) {
      helper = Json.string(config, "credsStore", where);
    }
    if (helper == null || helper.isEmpty()) {
      return null;
    }
    if (!helper.matches("[A-Za-z0-9._-]{1,64}") || helper.startsWith(".")) {
      throw new IOException(where + " names the credential helper '" + helper + "', which is not a helper's name");
    }
    return helper;
  }

  private static final long HELPER_SECONDS = 10;
  private static final int MAX_HELPER_ANSWER = 64 << 10;

  /** Asks {@code docker-credential-<helper>} for the credentials of {@code registry}. */
  private static Optional<Credentials> fromHelper(String helper, String registry) throws IOException {
    String program = "docker-credential-" + helper;
    Path executable = onPath(program);
    if (executable == null) {
      throw new IOException("the Docker configuration names the credential helper " + helper + ", but " + program
          + " is not on the PATH");
    }
    String server = registry.equals("docker.io") ? "https://index.docker.io/v1/" : registry;
    Process p = new ProcessBuilder(executable.toString(), "get").redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    byte[] answer;
    try {
      try (var in = p.getOutputStream()) {
        in.write(server.getBytes(StandardCharsets.UTF_8));
      }
      answer = p.getInputStream().readNBytes(MAX_HELPER_ANSWER + 1);
      if (!p.waitFor(HELPER_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new IOException(program + " did not answer within " + HELPER_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while " + program + " ran");
    } finally {
      p.destroyForcibly();
    }
    if (p.exitValue() != 0) {
      return Optional.empty(); // "credentials not found": anonymous, as Docker goes on
    }
    if (answer.length > MAX_HELPER_ANSWER) {
      throw new IOException(program + " answered more than " + MAX_HELPER_ANSWER + " bytes");
    }
    String where = "the answer of " + program;
    ObjectNode json = Json.parseObject(answer, where);
    String user = Json.string(json, "Username", where);
    String secret = Json.string(json, "Secret", where);
    if (user == null || secret == null || user.isEmpty() || user.equals("<token>")) {
      return Optional.empty(); // an identity token (Docker's OAuth refresh flow) is not used
    }
    return Optional.of(new Credentials(user, secret));
  }

  private static Path onPath(String program) {
    String path = io.isolate.spi.SystemProperties.environment("PATH").orElse("/usr/local/bin:/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (dir.startsWith("/")) {
        Path candidate = Path.of(dir, program);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    return null;
  }

  /** The keys Docker files a registry's credentials under. */
  private static String[] keysFor(String registry) {
    if (registry.equals("docker.io")) {
      return new String[] {"https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"};
    }
    return new String[] {registry, "https://" + registry, "http://" + registry, "https://" + registry + "/v1/"};
  }

  private static Credentials fromEntry(ObjectNode entry, String where) throws IOException {
    String auth = Json.string(entry, "auth", where);
    if (auth != null && !auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IOException(where + ": auth is not base64");
      }
      int colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw new IOException(where + ": auth is not base64 of user:password");
      }
      return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
    }
    String user = Json.string(entry, "username", where);
    String password = Json.string(entry, "password", where);
    if (user != null && password != null) {
      return new Credentials(user, password);
    }
    return null; // an identity token alone (Docker's OAuth refresh flow) is not used
  }
}
