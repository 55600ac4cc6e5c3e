package io.isolate.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isolate.ImageReference;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Rootfs;
import io.isolate.Workload;
import io.isolate.container.RegistrySettings;
import io.isolate.container.image.ImageStore;
import io.isolate.container.registry.ImagePuller;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Pulling a 50 MiB image (one layer of incompressible bytes) from Debian's docker-registry on 127.0.0.1: the
 * library's pull (manifest, configuration and layer, each verified against its digest while it streams, written to
 * disk) against {@code skopeo copy} of the same image from the same registry into an OCI layout directory (baseline);
 * a first start (pull, then unpack into the layer cache, through {@code build()}); and a second start, from the
 * cache. Needs docker-registry and skopeo (and root, for the OS level).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 8)
@Fork(1)
public class RegistryPullBenchmark {
  private static final int IMAGE_BYTES = 50 << 20;

  private Path dir;
  private Process registry;
  private String host;
  private ImageReference image;
  private String layerHex;

  @Setup
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("isolate-pull-bench");
    int port = ServerReady.freePort();
    host = "127.0.0.1:" + port;
    Path config = Files.writeString(dir.resolve("config.yml"), "version: 0.1\nlog:\n  level: error\n"
        + "  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data")
        + "\nhttp:\n  addr: " + host + "\n");
    registry = new ProcessBuilder("docker-registry", "serve", config.toString())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
    for (int i = 0; ; i++) {
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://" + host + "/v2/").toURL().openConnection();
        if (c.getResponseCode() == 200) {
          break;
        }
      } catch (IOException notYet) {
        if (i == 400) {
          throw notYet;
        }
        Thread.sleep(50);
      }
    }
    Path layout = layout(dir.resolve("layout"));
    Process push = new ProcessBuilder("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false",
        "oci:" + layout + ":1", "docker://" + host + "/bench/big:1").redirectErrorStream(true).start();
    String said = new String(push.getInputStream().readAllBytes());
    if (push.waitFor() != 0) {
      throw new IllegalStateException("skopeo push failed: " + said);
    }
    image = ImageReference.parse(host + "/bench/big:1");
  }

  /** An OCI layout with a busybox-less image: one layer of a 50 MiB file of random bytes. */
  private Path layout(Path layout) throws Exception {
    Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
    Path layer = dir.resolve("layer.tar.gz");
    byte[] data = new byte[IMAGE_BYTES];
    new Random(42).nextBytes(data);
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(layer), 1 << 16)) {
      byte[] header = new byte[512];
      byte[] name = "noise".getBytes();
      System.arraycopy(name, 0, header, 0, name.length);
      put(header, 100, "0000644");
      put(header, 108, "0000000");
      put(header, 116, "0000000");
      put(header, 124, String.format("%011o", IMAGE_BYTES));
      put(header, 136, "00000000000");
      header[156] = '0';
      put(header, 257, "ustar");
      put(header, 263, "00");
      java.util.Arrays.fill(header, 148, 156, (byte) ' ');
      int sum = 0;
      for (byte b : header) {
        sum += b & 0xff;
      }
      put(header, 148, String.format("%06o", sum));
      header[154] = 0;
      out.write(header);
      out.write(data);
      out.write(new byte[(512 - IMAGE_BYTES % 512) % 512 + 1024]);
    }
    layerHex = sha256(Files.readAllBytes(layer));
    Files.move(layer, blobs.resolve(layerHex));
    ObjectMapper json = new ObjectMapper();
    ObjectNode cfg = json.createObjectNode().put("architecture", "amd64").put("os", "linux");
    cfg.putObject("config");
    byte[] config = json.writeValueAsBytes(cfg);
    Files.write(blobs.resolve(sha256(config)), config);
    ObjectNode manifest = json.createObjectNode().put("schemaVersion", 2)
        .put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    manifest.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
        .put("digest", "sha256:" + sha256(config)).put("size", config.length);
    manifest.putArray("layers").addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip")
        .put("digest", "sha256:" + layerHex).put("size", Files.size(blobs.resolve(layerHex)));
    byte[] m = json.writeValueAsBytes(manifest);
    Files.write(blobs.resolve(sha256(m)), m);
    ObjectNode index = json.createObjectNode().put("schemaVersion", 2);
    index.putArray("manifests").addObject().put("mediaType", "application/vnd.oci.image.manifest.v1+json")
        .put("digest", "sha256:" + sha256(m)).put("size", m.length)
        .putObject("annotations").put("org.opencontainers.image.ref.name", "1");
    Files.write(layout.resolve("index.json"), json.writeValueAsBytes(index));
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    return layout;
  }

  private static void put(byte[] header, int at, String text) {
    byte[] b = text.getBytes();
    System.arraycopy(b, 0, header, at, b.length);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @TearDown
  public void tearDown() throws IOException {
    registry.destroy();
    delete(dir);
  }

  private static void delete(Path p) throws IOException {
    if (Files.exists(p)) {
      try (var walk = Files.walk(p)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /** Manifest, configuration and layer, verified and on disk; no unpacking. */
  @Benchmark
  public long isolatePull() throws IOException {
    Path root = Files.createTempDirectory(dir, "pull");
    try {
      ImagePuller puller = new ImagePuller(root, RegistrySettings.fromSystemProperties().withPullAlways(true));
      ImagePuller.Resolved resolved = puller.resolve(image);
      long bytes = 0;
      for (ImagePuller.Blob blob : resolved.layers()) {
        bytes += Files.size(puller.download(resolved, blob, root, Long.MAX_VALUE, System.nanoTime()
            + TimeUnit.MINUTES.toNanos(5)));
      }
      return bytes;
    } finally {
      delete(root);
    }
  }

  /** A first start: the image pulled and unpacked into the layer cache by build(). */
  @Benchmark
  public int isolateFirstStart() throws IOException {
    Path cache = ImageStore.shared().root();
    delete(cache.resolve("layers").resolve(layerHex.substring(0, 32)));
    Files.deleteIfExists(cache.resolve("layers").resolve(layerHex.substring(0, 32) + ".size"));
    delete(cache.resolve("registry"));
    return start();
  }

  /** A second start: everything from the cache. */
  @Benchmark
  public int isolateSecondStart() {
    return start();
  }

  private int start() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.OS).rootfs(Rootfs.image(image))
        .workload(Workload.command("/bin/true")).build()) {
      return isolate.spec().env().size();
    }
  }

  /** The baseline: skopeo copies the same image from the same registry into an OCI layout directory. */
  @Benchmark
  public int skopeoCopy() throws Exception {
    Path target = dir.resolve("skopeo-" + System.nanoTime());
    try {
      Process p = new ProcessBuilder("skopeo", "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false",
          "docker://" + host + "/bench/big:1", "oci:" + target + ":1").redirectErrorStream(true).start();
      String said = new String(p.getInputStream().readAllBytes());
      int code = p.waitFor();
      if (code != 0) {
        throw new IllegalStateException("skopeo copy failed: " + said);
      }
      return code;
    } finally {
      delete(target);
    }
  }
}
