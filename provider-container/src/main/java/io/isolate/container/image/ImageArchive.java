package io.isolate.container.image;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * An image as stored on disk: an OCI image layout directory ({@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/...}), or a tarball of one, or a {@code docker save} tarball in the classic format
 * ({@code manifest.json} listing {@code <id>/layer.tar} files). Yields the image's layers, bottom first.
 *
 * <p>A tarball is read once: small members are kept in memory, large ones are staged in a scratch directory
 * that the caller deletes.
 */
final class ImageArchive {
  private static final long IN_MEMORY = 1 << 20;

  /** An image: its layers, bottom first, and its configuration ({@code {}} when the archive has none). */
  record Image(List<Layer> layers, JsonObject config) {}

  /** One layer: its content digest (hex, sha256) when the format states it, and how to read it. */
  record Layer(String declaredDigest, Member member) {}

  /** A file of the image, in memory or staged on disk. */
  record Member(String name, byte[] bytes, Path file) {
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
  static ImageArchive open(Path image, Path scratch) throws IOException {
    if (Files.isDirectory(image)) {
      return new ImageArchive(Map.of(), image, image.toString());
    }
    Map<String, Member> members = new HashMap<>();
    Map<String, String> links = new HashMap<>();
    int staged = 0;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(image))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = LayerUnpacker.checkedName(e.getName());
        if (e.isSymbolicLink()) {
          Path parent = Path.of(name).getParent();
          String target = parent == null ? e.getLinkName() : parent.resolve(e.getLinkName()).toString();
          links.put(name, LayerUnpacker.checkedName(Path.of(target).normalize().toString()));
        } else if (e.isFile()) {
          if (e.getSize() <= IN_MEMORY) {
            members.put(name, new Member(name, tar.readAllBytes(), null));
          } else {
            Files.createDirectories(scratch);
            Path file = scratch.resolve("member-" + staged++);
            Files.copy(tar, file);
            members.put(name, new Member(name, null, file));
          }
        }
      }
    } catch (IOException e) {
      throw new IOException("cannot read image tarball " + image + ": " + e.getMessage(), e);
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
    return Optional.of(new Member(clean, null, p));
  }

  private Member require(String name) throws IOException {
    return member(name).orElseThrow(() -> new IOException(source + " has no " + name));
  }

  private JsonObject jsonObject(String name) throws IOException {
    try {
      return new JsonObject(new String(require(name).readAll(), StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new IOException(name + " in " + source + " is not a JSON object: " + e.getMessage(), e);
    }
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

  private JsonObject config(String name) throws IOException {
    Optional<Member> m = member(name);
    return m.isPresent() ? jsonObject(name) : new JsonObject();
  }

  private Image ociImage(String tag) throws IOException {
    JsonObject index = jsonObject("index.json");
    JsonObject manifest = pick(index, tag);
    for (int depth = 0; depth < 4 && manifest.containsKey("manifests"); depth++) {
      manifest = pick(manifest, null); // an image index: choose the linux/amd64 manifest
    }
    JsonArray layers = manifest.getJsonArray("layers");
    if (layers == null) {
      throw new IOException("the manifest in " + source + " has no layers");
    }
    List<Layer> result = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      String digest = digestHex(layers.getJsonObject(i).getString("digest"));
      result.add(new Layer(digest, require("blobs/sha256/" + digest)));
    }
    JsonObject configDescriptor = manifest.getJsonObject("config");
    JsonObject config = configDescriptor == null ? new JsonObject()
        : config("blobs/sha256/" + digestHex(configDescriptor.getString("digest")));
    return new Image(result, config);
  }

  /** Picks a manifest descriptor of {@code index} by tag or platform and returns the manifest it points to. */
  private JsonObject pick(JsonObject index, String tag) throws IOException {
    JsonArray manifests = index.getJsonArray("manifests");
    if (manifests == null || manifests.isEmpty()) {
      throw new IOException("an index in " + source + " lists no manifests");
    }
    JsonObject chosen = null;
    for (int i = 0; i < manifests.size() && chosen == null; i++) {
      JsonObject d = manifests.getJsonObject(i);
      JsonObject annotations = d.getJsonObject("annotations", new JsonObject());
      String ref = annotations.getString("org.opencontainers.image.ref.name", "");
      String name = annotations.getString("io.containerd.image.name", "");
      JsonObject platform = d.getJsonObject("platform");
      if (tag != null && (ref.equals(tag) || name.equals(tag) || name.endsWith(":" + tag))) {
        chosen = d;
      } else if (tag == null && platform != null && "amd64".equals(platform.getString("architecture"))
          && "linux".equals(platform.getString("os"))) {
        chosen = d;
      }
    }
    if (chosen == null) {
      if (tag != null && index.containsKey("schemaVersion") && manifests.size() > 0 && !hasRefs(manifests)) {
        chosen = manifests.getJsonObject(0);
      } else if (tag != null) {
        throw new IOException("no image tagged '" + tag + "' in " + source);
      } else {
        chosen = manifests.getJsonObject(0);
      }
    }
    return jsonObject("blobs/sha256/" + digestHex(chosen.getString("digest")));
  }

  private static boolean hasRefs(JsonArray manifests) {
    for (int i = 0; i < manifests.size(); i++) {
      if (manifests.getJsonObject(i).containsKey("annotations")) {
        return true;
      }
    }
    return false;
  }

  private Image dockerImage(String tag) throws IOException {
    JsonArray images;
    try {
      images = new JsonArray(new String(require("manifest.json").readAll(), StandardCharsets.UTF_8));
    } catch (DecodeException e) {
      throw new IOException("manifest.json in " + source + " is not a JSON array: " + e.getMessage(), e);
    }
    if (images.isEmpty()) {
      throw new IOException("manifest.json in " + source + " lists no image");
    }
    JsonObject chosen = null;
    for (int i = 0; i < images.size() && chosen == null && tag != null; i++) {
      JsonArray tags = images.getJsonObject(i).getJsonArray("RepoTags", new JsonArray());
      for (int j = 0; j < tags.size(); j++) {
        String t = tags.getString(j);
        if (t.equals(tag) || t.endsWith(":" + tag)) {
          chosen = images.getJsonObject(i);
        }
      }
    }
    if (chosen == null && tag != null) {
      throw new IOException("no image tagged '" + tag + "' in " + source);
    }
    if (chosen == null) {
      chosen = images.getJsonObject(0);
    }
    JsonArray layers = chosen.getJsonArray("Layers", new JsonArray());
    List<Layer> result = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      String name = layers.getString(i);
      String declared = name.startsWith("blobs/sha256/") ? name.substring("blobs/sha256/".length()) : null;
      result.add(new Layer(declared, require(name)));
    }
    String configName = chosen.getString("Config");
    return new Image(result, configName == null ? new JsonObject() : config(configName));
  }

  static String digestHex(String digest) throws IOException {
    if (digest == null || !digest.matches("sha256:[0-9a-f]{64}")) {
      throw new IOException("unsupported or malformed digest '" + digest + "' (sha256 expected)");
    }
    return digest.substring("sha256:".length());
  }
}
