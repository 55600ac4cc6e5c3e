package io.isolate.container.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isolate.container.ContainerSettings;
import io.isolate.container.json.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * An image as stored on disk: an OCI image layout directory ({@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/...}), or a tarball of one, or a {@code docker save} tarball in the classic format
 * ({@code manifest.json} listing {@code <id>/layer.tar} files). Yields the image's layers, bottom first.
 *
 * <p>A tarball is read once: small members are kept in memory, large ones are staged in a scratch directory
 * that the caller deletes.
 *
 * <p>Every manifest and configuration is checked against the digest that names it before it is parsed (the index
 * of a layout and the {@code manifest.json} of a docker archive are the roots and have none); a digest naming a
 * missing blob is an error, never an empty document. Layers are checked by {@link ImageStore} before they are
 * unpacked: in a layout against their descriptor's digest, in a docker archive against the configuration's
 * {@code rootfs.diff_ids} (the digest of the uncompressed tar).
 */
final class ImageArchive {
  private static final long IN_MEMORY = 1 << 20;

  /** The most files an image tarball may hold (an image has a few per layer). */
  static final int MAX_MEMBERS = 100_000;

  /** An image: its layers, bottom first, and its configuration ({@code {}} when the archive has none). */
  record Image(List<Layer> layers, ObjectNode config) {}

  /**
   * One layer: the digest (hex, sha256) the image states for it, or null when it states none, and how to read it.
   *
   * @param declaredDigest the stated digest, hex
   * @param ofUncompressed whether the digest is of the uncompressed tar (a docker archive's diff_id) rather than of
   *     the blob as stored
   * @param source the blob, read only when the layer is not in the cache yet (a registry's is downloaded then)
   */
  record Layer(String declaredDigest, boolean ofUncompressed, Source source) {}

  /** Where a layer's blob comes from. */
  interface Source {
    Member fetch() throws IOException;

    static Source of(Member member) {
      return () -> member;
    }
  }

  /**
   * A file of the image, in memory or on disk.
   *
   * @param owned whether nobody else can change it: in memory, or staged in the caller's scratch directory (a
   *     member of an image directory belongs to whoever owns that directory)
   * @param pulled whether it is a registry's blob this JVM downloaded into its own scratch file, verified against
   *     the layer's digest as it streamed: not hashed again, and deleted once unpacked
   */
  record Member(String name, byte[] bytes, Path file, boolean owned, boolean pulled) {
    Member(String name, byte[] bytes, Path file, boolean owned) {
      this(name, bytes, file, owned, false);
    }

    InputStream open() throws IOException {
      return bytes != null ? new ByteArrayInputStream(bytes) : Files.newInputStream(file);
    }

    byte[] readAll() throws IOException {
      if (bytes != null) {
        return bytes;
      }
      if (Files.size(file) > 16 << 20) {
        throw new IOException(name + " is too large for a manifest (" + Files.size(file) + " bytes)");
      }
      return Files.readAllBytes(file);
    }
  }

  private final Map<String, Member> members;
  private final Path directory;
  private final String source;

  private ImageArchive(Map<String, Member> members, Path directory, String source) {
    this.members = members;
    this.directory = directory;
    this.source = source;
  }

  /** Opens a layout directory or reads a tarball, staging large members under {@code scratch}. */
  static ImageArchive open(Path image, Path scratch, long maxImageBytes) throws IOException {
    if (Files.isDirectory(image)) {
      return new ImageArchive(Map.of(), image, image.toString());
    }
    Map<String, Member> members = new HashMap<>();
    Map<String, String> links = new HashMap<>();
    int staged = 0;
    long cap = maxImageBytes + (64L << 20);
    long total = 0;
    try (TarReader tar = new TarReader(Files.newInputStream(image))) {
      for (TarArchiveEntry e = tar.next(); e != null; e = tar.next()) {
        String name = LayerUnpacker.checkedName(e.getName());
        long size = e.isFile() ? Math.max(0, e.getRealSize()) : 0; // a sparse member counts what it expands to
        total = Math.addExact(total, size + 512);
        if (total > cap || members.size() + links.size() >= MAX_MEMBERS) {
          throw new IOException("it holds more than " + cap + " bytes (-D" + ContainerSettings.MAX_IMAGE_BYTES
              + " and 64 MiB for manifests) or " + MAX_MEMBERS + " files");
        }
        if (e.isSymbolicLink()) {
          Path parent = Path.of(name).getParent();
          String target = parent == null ? e.getLinkName() : parent.resolve(e.getLinkName()).toString();
          links.put(name, LayerUnpacker.checkedName(Path.of(target).normalize().toString()));
        } else if (e.isFile()) {
          if (size <= IN_MEMORY) {
            members.put(name, new Member(name, tar.content().readNBytes((int) size), null, true));
          } else {
            Files.createDirectories(scratch);
            Path file = scratch.resolve("member-" + staged++);
            Files.copy(tar.content(), file);
            members.put(name, new Member(name, null, file, true));
          }
        }
      }
    } catch (IOException e) {
      throw new IOException("cannot read image tarball " + image + ": "
          + TarReader.explained(e, "the tarball").getMessage(), e);
    }
    links.forEach((name, target) -> {
      Member m = members.get(target);
      if (m != null) {
        members.putIfAbsent(name, m);
      }
    });
    return new ImageArchive(members, null, image.toString());
  }

  Optional<Member> member(String name) throws IOException {
    String clean = LayerUnpacker.checkedName(name);
    if (directory == null) {
      return Optional.ofNullable(members.get(clean));
    }
    Path p = directory.resolve(clean);
    if (!Files.isRegularFile(p)) {
      return Optional.empty();
    }
    if (!p.toRealPath().startsWith(directory.toRealPath())) {
      throw new IOException("image member " + name + " points outside the image directory");
    }
    return Optional.of(new Member(clean, null, p, false));
  }

  private Member require(String name) throws IOException {
    return member(name).orElseThrow(() -> new IOException(source + " has no " + name));
  }

  private ObjectNode jsonObject(String name) throws IOException {
    return parseObject(name, require(name).readAll());
  }

  private ObjectNode parseObject(String name, byte[] bytes) throws IOException {
    return Json.parseObject(bytes, name + " in " + source);
  }

  /** The blob {@code blobs/sha256/<hex>} as a JSON object, refused unless its content hashes to {@code hex}. */
  private ObjectNode verifiedBlob(String hex) throws IOException {
    return verifiedJson("blobs/sha256/" + hex, hex);
  }

  private ObjectNode verifiedJson(String name, String hex) throws IOException {
    byte[] bytes = require(name).readAll();
    String actual = sha256(bytes);
    if (!actual.equals(hex)) {
      throw new IOException(name + " in " + source + " is corrupt: its content hashes to sha256:" + actual
          + ", not to sha256:" + hex);
    }
    return parseObject(name, bytes);
  }

  static String sha256(byte[] bytes) {
    return io.isolate.spi.HostFiles.sha256Hex(bytes);
  }

  /** The layers of the image tagged {@code tag} (or the first image), bottom first. */
  List<Layer> layers(String tag) throws IOException {
    return image(tag).layers();
  }

  /** The image tagged {@code tag} (or the first image). */
  Image image(String tag) throws IOException {
    if (member("index.json").isPresent()) {
      return ociImage(tag);
    }
    if (member("manifest.json").isPresent()) {
      return dockerImage(tag);
    }
    throw new IOException(source + " is neither an OCI image layout (index.json) nor a docker save archive"
        + " (manifest.json)");
  }

  private Image ociImage(String tag) throws IOException {
    ObjectNode index = jsonObject("index.json");
    ObjectNode manifest = pick(index, tag);
    for (int depth = 0; manifest.has("manifests"); depth++) {
      if (depth == 4) {
        throw new IOException("the image indexes in " + source + " nest more than 4 deep");
      }
      manifest = pick(manifest, null); // an image index: choose the linux/amd64 manifest
    }
    ArrayNode layers = Json.array(manifest, "layers", "the manifest in " + source);
    if (layers == null) {
      throw new IOException("the manifest in " + source + " has no layers");
    }
    List<Layer> result = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      ObjectNode descriptor = Json.element(layers, i, "the manifest's layers in " + source);
      String digest = digestHex(Json.string(descriptor, "digest", "a layer descriptor in " + source));
      result.add(new Layer(digest, false, Source.of(require("blobs/sha256/" + digest))));
    }
    ObjectNode configDescriptor = Json.object(manifest, "config", "the manifest in " + source);
    if (configDescriptor == null) {
      throw new IOException("the manifest in " + source + " has no config descriptor");
    }
    ObjectNode config = verifiedBlob(digestHex(Json.string(configDescriptor, "digest", "the config descriptor in "
        + source)));
    return new Image(result, config);
  }

  /** Picks a manifest descriptor of {@code index} by tag or platform and returns the manifest it points to. */
  private ObjectNode pick(ObjectNode index, String tag) throws IOException {
    String where = "an index in " + source;
    ArrayNode manifests = Json.array(index, "manifests", where);
    if (manifests == null || manifests.isEmpty()) {
      throw new IOException(where + " lists no manifests");
    }
    ObjectNode chosen = null;
    for (int i = 0; i < manifests.size() && chosen == null; i++) {
      ObjectNode d = Json.element(manifests, i, where);
      ObjectNode annotations = Json.object(d, "annotations", where);
      String ref = annotations == null ? null : Json.string(annotations, "org.opencontainers.image.ref.name", where);
      String name = annotations == null ? null : Json.string(annotations, "io.containerd.image.name", where);
      ObjectNode platform = Json.object(d, "platform", where);
      if (tag != null && (tag.equals(ref) || tag.equals(name) || (name != null && name.endsWith(":" + tag)))) {
        chosen = d;
      } else if (tag == null && platform != null
          && "amd64".equals(Json.string(platform, "architecture", where))
          && "linux".equals(Json.string(platform, "os", where))) {
        chosen = d;
      }
    }
    if (chosen == null) {
      if (tag != null && index.has("schemaVersion") && manifests.size() > 0 && !hasRefs(manifests)) {
        chosen = Json.element(manifests, 0, where);
      } else if (tag != null) {
        throw new IOException("no image tagged '" + tag + "' in " + source);
      } else {
        chosen = Json.element(manifests, 0, where);
      }
    }
    return verifiedBlob(digestHex(Json.string(chosen, "digest", where)));
  }

  private static boolean hasRefs(ArrayNode manifests) {
    for (int i = 0; i < manifests.size(); i++) {
      if (manifests.get(i) instanceof ObjectNode d && d.has("annotations")) {
        return true;
      }
    }
    return false;
  }

  private Image dockerImage(String tag) throws IOException {
    ArrayNode images = Json.parseArray(require("manifest.json").readAll(), "manifest.json in " + source);
    if (images.isEmpty()) {
      throw new IOException("manifest.json in " + source + " lists no image");
    }
    String where = "manifest.json in " + source;
    ObjectNode chosen = null;
    for (int i = 0; i < images.size() && chosen == null && tag != null; i++) {
      ArrayNode tags = Json.array(Json.element(images, i, where), "RepoTags", where);
      for (int j = 0; tags != null && j < tags.size(); j++) {
        String t = Json.text(tags, j);
        if (t != null && (t.equals(tag) || t.endsWith(":" + tag))) {
          chosen = Json.element(images, i, where);
        }
      }
    }
    if (chosen == null && tag != null) {
      throw new IOException("no image tagged '" + tag + "' in " + source);
    }
    if (chosen == null) {
      chosen = Json.element(images, 0, where);
    }
    String configName = Json.string(chosen, "Config", where);
    if (configName == null) {
      throw new IOException(where + " names no Config");
    }
    String configHex = digestOfName(configName);
    if (configHex == null) {
      throw new IOException("the configuration " + configName + " in " + source + " cannot be checked: its name is"
          + " not its digest (<sha256>.json or blobs/sha256/<sha256>)");
    }
    ObjectNode config = verifiedJson(configName, configHex);
    ArrayNode layers = Json.array(chosen, "Layers", where);
    if (layers == null) {
      throw new IOException(where + " lists no Layers");
    }
    ObjectNode rootfs = Json.object(config, "rootfs", "the configuration in " + source);
    ArrayNode diffIds = rootfs == null ? null : Json.array(rootfs, "diff_ids", "the configuration in " + source);
    if (diffIds != null && diffIds.size() != layers.size()) {
      throw new IOException("the configuration in " + source + " lists " + diffIds.size() + " diff_ids for "
          + layers.size() + " layers");
    }
    List<Layer> result = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      String name = Json.text(layers, i);
      if (name == null) {
        throw new IOException(where + ": Layers holds " + Json.describe(layers.get(i)) + ", not a file name");
      }
      if (diffIds != null) {
        String diffId = Json.text(diffIds, i);
        if (diffId == null) {
          throw new IOException("the configuration in " + source + ": diff_ids holds a non-string");
        }
        result.add(new Layer(digestHex(diffId), true, Source.of(require(name))));
      } else {
        String declared = name.startsWith("blobs/sha256/") ? digestHex("sha256:" + name.substring(13)) : null;
        result.add(new Layer(declared, false, Source.of(require(name))));
      }
    }
    return new Image(result, config);
  }

  /** The hex digest a docker archive's file name carries ({@code <hex>.json}, {@code blobs/sha256/<hex>}), or null. */
  private static String digestOfName(String name) {
    String hex = name.endsWith(".json") ? name.substring(0, name.length() - 5)
        : name.startsWith("blobs/sha256/") ? name.substring(13) : null;
    return hex != null && hex.matches("[0-9a-f]{64}") ? hex : null;
  }

  static String digestHex(String digest) throws IOException {
    if (digest == null || !digest.matches("sha256:[0-9a-f]{64}")) {
      throw new IOException("unsupported or malformed digest '" + digest + "' (sha256 expected)");
    }
    return digest.substring("sha256:".length());
  }
}
