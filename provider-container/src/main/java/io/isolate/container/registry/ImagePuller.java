package io.isolate.container.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isolate.ImageReference;
import io.isolate.container.RegistrySettings;
import io.isolate.spi.HostFiles;
import io.isolate.container.json.Json;
import io.isolate.spi.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Resolves an image reference to the manifest of this platform (linux/amd64) and downloads its blobs. Everything a
 * registry sends is checked against a digest before it is used: a manifest asked for by digest, or by tag against the
 * digest the registry states; the configuration and every layer against the digests in the manifest, while they
 * stream, with their declared sizes as a bound. Manifests and configurations are kept under {@code <root>/blobs}, and
 * what a tag named under {@code <root>/refs} (file names are digests of the reference, never names from the network),
 * so that a second preparation needs no network unless {@link RegistrySettings#pullAlways()}. A layer download that
 * stops midway leaves its bytes under {@code <root>/partial}, and the next pull of that layer resumes them with a
 * {@code Range} request (or starts again when the registry does not answer with the rest).
 */
public final class ImagePuller {
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  private static final String ACCEPT = String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST);
  private static final List<String> LAYER_TYPES = List.of("application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd",
      "application/vnd.docker.image.rootfs.diff.tar",
      "application/vnd.docker.image.rootfs.diff.tar.gzip");
  private static final int MAX_MANIFEST_BYTES = 4 << 20;
  private static final int MAX_CONFIG_BYTES = 8 << 20;
  private static final int MAX_LAYERS = 1000;
  private static final long PROGRESS_STEP = 1 << 20;
  private static final ScheduledExecutorService STALLS = DaemonThreads.scheduler("isolate-pull-deadline");

  /** A blob the manifest lists: its digest (hex sha256), declared size and media type. */
  public record Blob(String digestHex, long size, String mediaType) {}

  /**
   * An image resolved for this platform.
   *
   * @param reference the reference pinned to the platform manifest's digest
   * @param config the image configuration, verified
   * @param layers the layers, bottom first
   */
  public record Resolved(ImageReference reference, byte[] config, List<Blob> layers) {}

  private final Path root;
  private final RegistrySettings settings;
  private final Map<String, RegistryClient> clients = new java.util.concurrent.ConcurrentHashMap<>();

  /** A puller keeping its manifests, configurations and partial downloads under {@code root}. */
  public ImagePuller(Path root, RegistrySettings settings) {
    this.root = root;
    this.settings = settings;
  }

  private RegistryClient client(String registry) {
    return clients.computeIfAbsent(registry, r -> new RegistryClient(r, settings));
  }

  /**
   * The manifest of {@code ref} for this platform, its configuration and layers: from the local records when they
   * have it (always for a digest; for a tag unless pulls are {@code pullAlways}), else from the registry.
   *
   * @throws IOException saying what the registry answered or what is wrong with the image
   */
  public Resolved resolve(ImageReference ref) throws IOException {
    Path refFile = root.resolve("refs").resolve(sha256(ref.toString().getBytes(StandardCharsets.UTF_8)));
    String manifestHex = null;
    if (ref.digest().isPresent()) {
      manifestHex = hexOf(ref.digest().get());
    } else if (!settings.pullAlways() && Files.isRegularFile(refFile)) {
      String recorded = Files.readString(refFile).trim();
      manifestHex = recorded.matches("[0-9a-f]{64}") ? recorded : null;
    }
    String where = ref.toString();
    byte[] manifest = null;
    if (manifestHex != null) {
      manifest = local(manifestHex, MAX_MANIFEST_BYTES);
    }
    if (manifest == null) {
      Fetched top = fetchManifest(ref, ref.manifestReference(), manifestHex);
      manifest = top.bytes;
      manifestHex = top.hex;
    }
    for (int depth = 0; isIndex(manifest, where); depth++) {
      if (depth == 2) {
        throw new IOException(where + ": image indexes nest more than 2 deep");
      }
      String chosen = pickPlatform(Json.parseObject(manifest, "the image index of " + where), where);
      byte[] known = local(chosen, MAX_MANIFEST_BYTES);
      manifest = known != null ? known : fetchManifest(ref, "sha256:" + chosen, chosen).bytes;
      manifestHex = chosen;
    }
    ObjectNode m = Json.parseObject(manifest, "the manifest of " + where);
    String type = Json.string(m, "mediaType", "the manifest of " + where);
    if (type != null && !type.equals(OCI_MANIFEST) && !type.equals(DOCKER_MANIFEST)) {
      throw new IOException(where + ": manifest type " + type + " is not supported (OCI and Docker v2 schema 2 are)");
    }
    Blob config = descriptor(Json.object(m, "config", "the manifest of " + where), "the config of " + where);
    if (config.size > MAX_CONFIG_BYTES) {
      throw new IOException(where + ": its configuration declares " + config.size + " bytes, more than "
          + MAX_CONFIG_BYTES);
    }
    byte[] configBytes = local(config.digestHex, MAX_CONFIG_BYTES);
    if (configBytes == null) {
      configBytes = fetchSmallBlob(ref, config, MAX_CONFIG_BYTES);
    }
    ArrayNode layerList = Json.array(m, "layers", "the manifest of " + where);
    if (layerList == null || layerList.size() > MAX_LAYERS) {
      throw new IOException(where + ": the manifest lists " + (layerList == null ? "no" : layerList.size())
          + " layers" + (layerList == null ? "" : ", more than " + MAX_LAYERS));
    }
    List<Blob> layers = new ArrayList<>();
    for (int i = 0; i < layerList.size(); i++) {
      Blob layer = descriptor(Json.element(layerList, i, "the layers of " + where), "layer " + i + " of " + where);
      if (!LAYER_TYPES.contains(layer.mediaType)) {
        throw new IOException(where + ": layer " + i + " is of type " + layer.mediaType + "; supported are "
            + "tar layers, plain or compressed with gzip or zstd");
      }
      layers.add(layer);
    }
    store(manifestHex, manifest);
    if (ref.digest().isEmpty()) {
      HostFiles.writeAtomically(refFile, manifestHex.getBytes(StandardCharsets.US_ASCII));
    }
    return new Resolved(ref.withDigest("sha256:" + manifestHex), configBytes, List.copyOf(layers));
  }

  private record Fetched(byte[] bytes, String hex) {}

  /** GETs a manifest; checked against {@code expectedHex} when given, else against the digest the registry states. */
  private Fetched fetchManifest(ImageReference ref, String reference, String expectedHex) throws IOException {
    try (RegistryClient.Answer a = client(ref.registry()).get(ref.repository(), "manifests/" + reference,
        Map.of("Accept", ACCEPT))) {
      byte[] body = a.body().readNBytes(MAX_MANIFEST_BYTES + 1);
      if (body.length > MAX_MANIFEST_BYTES) {
        throw new IOException(ref + ": the manifest is larger than " + MAX_MANIFEST_BYTES + " bytes");
      }
      String hex = sha256(body);
      String stated = a.header("Docker-Content-Digest").orElse(null);
      if (expectedHex != null && !hex.equals(expectedHex)) {
        throw new IOException(ref + ": the manifest " + a.endpoint() + " sent hashes to sha256:" + hex
            + ", not to the sha256:" + expectedHex + " asked for");
      }
      if (stated != null && stated.startsWith("sha256:") && !stated.equals("sha256:" + hex)) {
        throw new IOException(ref + ": the manifest " + a.endpoint() + " sent hashes to sha256:" + hex
            + ", not to the " + stated + " it states");
      }
      return new Fetched(body, hex);
    }
  }

  private boolean isIndex(byte[] manifest, String where) throws IOException {
    ObjectNode m = Json.parseObject(manifest, "the manifest of " + where);
    String type = Json.string(m, "mediaType", "the manifest of " + where);
    if (type != null && type.startsWith("application/vnd.docker.distribution.manifest.v1")) {
      throw new IOException(where + ": Docker v2 schema 1 manifests are not supported (push the image again with "
          + "a current client)");
    }
    return OCI_INDEX.equals(type) || DOCKER_LIST.equals(type) || (type == null && m.has("manifests"));
  }

  /** The digest (hex) of the linux/amd64 manifest an index lists. */
  private static String pickPlatform(ObjectNode index, String where) throws IOException {
    String what = "the image index of " + where;
    ArrayNode manifests = Json.array(index, "manifests", what);
    List<String> offered = new ArrayList<>();
    for (int i = 0; manifests != null && i < manifests.size(); i++) {
      ObjectNode d = Json.element(manifests, i, what);
      ObjectNode platform = Json.object(d, "platform", what);
      String os = platform == null ? null : Json.string(platform, "os", what);
      String arch = platform == null ? null : Json.string(platform, "architecture", what);
      offered.add(os + "/" + arch);
      if ("linux".equals(os) && platformArchitecture().equals(arch)) {
        return hexOf(Json.string(d, "digest", what));
      }
    }
    throw new IOException(where + " has no image for linux/" + platformArchitecture() + " (it has " + offered + ")");
  }

  /** This JVM's architecture as OCI names it. */
  static String platformArchitecture() {
    String arch = io.isolate.spi.SystemProperties.architecture();
    return switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> arch;
    };
  }

  private static Blob descriptor(ObjectNode d, String what) throws IOException {
    if (d == null) {
      throw new IOException(what + " is missing");
    }
    String digest = Json.string(d, "digest", what);
    com.fasterxml.jackson.databind.JsonNode size = d.get("size");
    if (size == null || !size.canConvertToExactIntegral() || !size.canConvertToLong() || size.asLong() < 0) {
      throw new IOException(what + " declares no valid size");
    }
    String type = Json.string(d, "mediaType", what);
    return new Blob(hexOf(digest), size.asLong(), type == null ? "" : type);
  }

  static String hexOf(String digest) throws IOException {
    if (digest == null || !digest.matches("sha256:[0-9a-f]{64}")) {
      throw new IOException("digest '" + digest + "' is not sha256: and 64 lower-case hex digits");
    }
    return digest.substring(7);
  }

  private byte[] fetchSmallBlob(ImageReference ref, Blob blob, int max) throws IOException {
    try (RegistryClient.Answer a = client(ref.registry()).get(ref.repository(), "blobs/sha256:" + blob.digestHex,
        Map.of())) {
      byte[] body = a.body().readNBytes((int) Math.min(max, blob.size) + 1);
      if (body.length != blob.size) {
        throw new IOException(ref + ": blob sha256:" + blob.digestHex + " holds " + (body.length > blob.size
            ? "more" : body.length) + " bytes, not the " + blob.size + " declared");
      }
      String hex = sha256(body);
      if (!hex.equals(blob.digestHex)) {
        throw new IOException(ref + ": blob sha256:" + blob.digestHex + " is corrupt: it hashes to sha256:" + hex);
      }
      store(blob.digestHex, body);
      return body;
    }
  }

  /**
   * Downloads a layer into a new file under {@code dir}, verified against its digest while it streams; resumes an
   * earlier partial download of it.
   *
   * @param maxBytes the most the layer may hold as stored (its declared size above this is refused at once)
   * @param deadlineNanos when the download must have ended ({@link System#nanoTime()}); a stalled connection is cut
   * @return the verified file, the caller's to delete
   */
  public Path download(Resolved image, Blob layer, Path dir, long maxBytes, long deadlineNanos) throws IOException {
    ImageReference ref = image.reference();
    String name = "layer sha256:" + layer.digestHex + " of " + ref;
    if (layer.size > maxBytes) {
      throw new IOException(name + " declares " + layer.size + " bytes, more than " + maxBytes + " allowed");
    }
    Path partial = Files.createDirectories(root.resolve("partial")).resolve(layer.digestHex);
    MessageDigest sha = HostFiles.newSha256();
    long have = 0;
    if (Files.isRegularFile(partial)) {
      have = Files.size(partial);
      if (have > layer.size) {
        Files.delete(partial);
        have = 0;
      } else {
        try (InputStream in = Files.newInputStream(partial)) {
          byte[] buffer = new byte[1 << 16];
          for (int n; (n = in.read(buffer)) > 0; ) {
            sha.update(buffer, 0, n);
          }
        }
      }
    }
    Map<String, String> headers = have > 0 && have < layer.size ? Map.of("Range", "bytes=" + have + "-") : Map.of();
    try (RegistryClient.Answer a = client(ref.registry()).get(ref.repository(), "blobs/sha256:" + layer.digestHex,
        headers)) {
      boolean resumed = a.status() == 206 && a.header("Content-Range").orElse("").startsWith("bytes " + have + "-");
      if (!resumed && have > 0) {
        sha = HostFiles.newSha256();
        have = 0;
      }
      InputStream body = a.body();
      ScheduledFuture<?> cut = STALLS.schedule(() -> closeQuietly(body),
          Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
        byte[] buffer = new byte[1 << 16];
        long reported = have;
        for (int n; (n = body.read(buffer)) > 0; ) {
          if (have + n > layer.size) {
            throw new IOException(name + " holds more than the " + layer.size + " bytes its descriptor declares");
          }
          sha.update(buffer, 0, n);
          out.write(buffer, 0, n);
          have += n;
          if (have - reported >= PROGRESS_STEP) {
            reported = have;
            progress(ref, layer, have, false);
          }
        }
      } catch (IOException e) {
        if (System.nanoTime() - deadlineNanos >= 0) {
          throw new IOException(name + ": the download did not end in time (-D"
              + io.isolate.container.ContainerSettings.IMAGE_PREPARE_SECONDS + "); " + have + " of " + layer.size
              + " bytes are kept for the next pull");
        }
        throw new IOException(name + ": the download stopped after " + have + " of " + layer.size + " bytes ("
            + e.getMessage() + "); they are kept for the next pull to resume", e);
      } finally {
        cut.cancel(false);
      }
    }
    if (have != layer.size) {
      throw new IOException(name + ": the download ended after " + have + " of " + layer.size + " bytes; they are "
          + "kept for the next pull to resume");
    }
    String hex = HexFormat.of().formatHex(sha.digest());
    if (!hex.equals(layer.digestHex)) {
      Files.deleteIfExists(partial);
      throw new IOException(name + " is corrupt: its content hashes to sha256:" + hex);
    }
    Path done = dir.resolve("pulled-" + layer.digestHex.substring(0, 16) + "-" + UUID.randomUUID());
    Files.move(partial, done, StandardCopyOption.ATOMIC_MOVE);
    progress(ref, layer, have, true);
    return done;
  }

  private void progress(ImageReference ref, Blob layer, long bytes, boolean done) {
    var listener = settings.progress();
    if (listener != null) {
      try {
        listener.accept(new RegistrySettings.PullProgress(ref.toString(), "sha256:" + layer.digestHex, bytes,
            layer.size, done));
      } catch (RuntimeException e) {
        // the application's listener failing does not fail the pull
      }
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // cutting a stalled download
    }
  }

  /** A kept manifest or configuration, verified again, or null. */
  private byte[] local(String hex, int max) throws IOException {
    Path file = root.resolve("blobs").resolve(hex);
    try {
      if (Files.size(file) > max) {
        return null;
      }
      byte[] bytes = Files.readAllBytes(file);
      return sha256(bytes).equals(hex) ? bytes : null;
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private void store(String hex, byte[] bytes) throws IOException {
    Path file = root.resolve("blobs").resolve(hex);
    if (!Files.isRegularFile(file)) {
      HostFiles.writeAtomically(file, bytes);
    }
  }

  static String sha256(byte[] bytes) {
    return HostFiles.sha256Hex(bytes);
  }
}
