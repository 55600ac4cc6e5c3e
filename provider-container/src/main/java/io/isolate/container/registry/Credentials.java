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
 * A user name and password (or identity token) for one registry, read from Docker's {@code config.json}
 * ({@code auths.<registry>.auth}, base64 of {@code user:password}, or {@code username}/{@code password}). Docker Hub's
 * entry is keyed {@code https://index.docker.io/v1/}. Credential helpers ({@code credsStore}, {@code credHelpers})
 * are programs, and this library does not run programs of the host on a registry's behalf: a registry served by one
 * gets no credentials from here.
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
