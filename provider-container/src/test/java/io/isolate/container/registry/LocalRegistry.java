package io.isolate.container.registry;

import io.isolate.container.Prerequisites;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real registry (Debian's {@code docker-registry}, the CNCF distribution server) on 127.0.0.1 and a free port,
 * storing into a test directory, optionally behind htpasswd (Basic) authentication; images are pushed to it with
 * skopeo, an implementation of the protocol independent of this project's.
 */
final class LocalRegistry implements AutoCloseable {
  static final String USER = "tester";
  static final String PASSWORD = "s3cret-pass";

  final Path dir;
  final int port;
  final boolean auth;
  private final Process process;

  private LocalRegistry(Path dir, int port, boolean auth, Process process) {
    this.dir = dir;
    this.port = port;
    this.auth = auth;
    this.process = process;
  }

  static void requireTools() {
    Prerequisites.requireFile("/usr/bin/docker-registry", "Debian package docker-registry");
    Prerequisites.requireFile("/usr/bin/skopeo", "Debian package skopeo");
    Prerequisites.requireFile("/usr/bin/htpasswd", "Debian package apache2-utils");
  }

  static LocalRegistry start(Path dir, boolean auth) throws IOException, InterruptedException {
    return start(dir, auth, null);
  }

  /** A registry whose authentication is {@code tokens}' bearer tokens (when not null). */
  static LocalRegistry start(Path dir, boolean auth, TokenService tokens) throws IOException, InterruptedException {
    requireTools();
    Files.createDirectories(dir);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    StringBuilder config = new StringBuilder()
        .append("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n")
        .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("data")).append('\n')
        .append("  delete:\n    enabled: true\n")
        .append("http:\n  addr: 127.0.0.1:").append(port).append('\n');
    if (auth) {
      Process h = new ProcessBuilder("htpasswd", "-Bbn", USER, PASSWORD).redirectErrorStream(true).start();
      String line = new String(h.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (h.waitFor() != 0) {
        throw new IOException("htpasswd failed: " + line);
      }
      Files.writeString(dir.resolve("htpasswd"), line + "\n");
      config.append("auth:\n  htpasswd:\n    realm: isolate-test\n    path: ").append(dir.resolve("htpasswd"))
          .append('\n');
    }
    if (tokens != null) {
      config.append(tokens.registryAuth());
    }
    Path file = Files.writeString(dir.resolve("config.yml"), config);
    Process p = new ProcessBuilder("docker-registry", "serve", file.toString())
        .redirectOutput(dir.resolve("registry.log").toFile()).redirectErrorStream(true).start();
    LocalRegistry r = new LocalRegistry(dir, port, auth || tokens != null, p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/v2/").toURL()
            .openConnection();
        int status = c.getResponseCode();
        c.disconnect();
        if (status == 200 || status == 401) {
          return r;
        }
      } catch (IOException notYet) {
        // starting
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        r.close();
        throw new IOException("the registry did not start: " + Files.readString(dir.resolve("registry.log")));
      }
      Thread.sleep(50);
    }
  }

  /** {@code 127.0.0.1:PORT}. */
  String host() {
    return "127.0.0.1:" + port;
  }

  /** Pushes the OCI layout's image {@code tag} (or, with {@code all}, every image of its index) as {@code name}. */
  void push(Path layout, String tag, String name, boolean all) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "--quiet",
        "--dest-tls-verify=false"));
    if (all) {
      argv.add("--all");
    }
    if (auth) {
      argv.add("--dest-creds=" + USER + ":" + PASSWORD);
    }
    argv.add("oci:" + layout + ":" + tag);
    argv.add("docker://" + host() + "/" + name);
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("skopeo " + argv + " failed: " + out);
    }
  }

  /** The file in the registry's storage that holds blob {@code hex}. */
  Path blobFile(String hex) {
    return dir.resolve("data/docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex)
        .resolve("data");
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
