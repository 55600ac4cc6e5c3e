package io.isolate.container.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds layers and images (OCI layout, OCI tarball, docker save tarball) for tests, hostile ones included. */
public final class TestImages {
  private TestImages() {}

  /** Writes tar entries; {@link #gz(Consumer)} and {@link #tar(Consumer)} make a layer of them. */
  public static final class Layer {
    final TarArchiveOutputStream tar;

    Layer(TarArchiveOutputStream tar) {
      this.tar = tar;
    }

    public Layer dir(String name) {
      TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
      e.setMode(040755);
      return put(e, null);
    }

    /** A directory entry with the given permission bits (e.g. 0777). */
    public Layer dirWithMode(String name, int mode) {
      TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
      e.setMode(040000 | mode);
      return put(e, null);
    }

    public Layer file(String name, String content) {
      return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    public Layer file(String name, byte[] content, int mode) {
      TarArchiveEntry e = new TarArchiveEntry(name, true); // keep absolute names: tests need hostile ones
      e.setSize(content.length);
      e.setMode(0100000 | mode);
      return put(e, content);
    }

    public Layer symlink(String name, String target) {
      TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
      e.setLinkName(target);
      return put(e, null);
    }

    public Layer hardlink(String name, String target) {
      TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_LINK, true);
      e.setLinkName(target);
      return put(e, null);
    }

    private Layer put(TarArchiveEntry e, byte[] content) {
      try {
        tar.putArchiveEntry(e);
        if (content != null) {
          tar.write(content);
        }
        tar.closeArchiveEntry();
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
      return this;
    }
  }

  /** A gzip-compressed layer. */
  public static byte[] gz(Consumer<Layer> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(bytes)) {
      write(gz, entries);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A zstd-compressed layer (as {@code zstd} and Docker's {@code --compression-format zstd} make them). */
  public static byte[] zstd(Consumer<Layer> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (com.github.luben.zstd.ZstdOutputStreamNoFinalizer z =
        new com.github.luben.zstd.ZstdOutputStreamNoFinalizer(bytes, 3)) {
      write(z, entries);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The OCI media type of a layer, from its first bytes: gzip, zstd or a plain tar. */
  public static String layerMediaType(byte[] layer) {
    if (layer.length >= 2 && (layer[0] & 0xff) == 0x1f && (layer[1] & 0xff) == 0x8b) {
      return "application/vnd.oci.image.layer.v1.tar+gzip";
    }
    if (layer.length >= 4 && (layer[0] & 0xff) == 0x28 && (layer[1] & 0xff) == 0xb5 && (layer[2] & 0xff) == 0x2f
        && (layer[3] & 0xff) == 0xfd) {
      return "application/vnd.oci.image.layer.v1.tar+zstd";
    }
    return "application/vnd.oci.image.layer.v1.tar";
  }

  /** An uncompressed layer. */
  public static byte[] tar(Consumer<Layer> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    write(bytes, entries);
    return bytes.toByteArray();
  }

  private static void write(OutputStream out, Consumer<Layer> entries) {
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      entries.accept(new Layer(tar));
      tar.finish();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A layer with a static busybox and links for the applets tests use. */
  public static byte[] busyboxLayer() throws IOException {
    byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
    return gz(l -> {
      l.dir("bin").file("bin/busybox", busybox, 0755);
      for (String applet : List.of("sh", "ls", "cat", "echo", "touch", "rm", "mkdir", "id", "hostname")) {
        l.symlink("bin/" + applet, "busybox");
      }
      l.dir("etc").file("etc/os-release", "NAME=test\n").file("etc/doomed", "x\n");
      l.dir("opaque").file("opaque/old", "old\n");
      l.dir("proc").dir("dev").dir("tmp");
    });
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static final JsonMapper JSON = new JsonMapper();

  /** A JSON object of the given keys and values (strings, numbers, nodes, lists), in order. */
  public static ObjectNode object(Object... keysAndValues) {
    java.util.Map<String, Object> map = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return JSON.valueToTree(map);
  }

  /** A JSON array of the given values. */
  public static ArrayNode array(Object... values) {
    return JSON.valueToTree(List.of(values));
  }

  private static byte[] encode(JsonNode node) {
    return node.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Writes an OCI image layout with one image, tagged {@code tag}, into {@code dir}. */
  public static Path ociLayout(Path dir, String tag, List<byte[]> layers) throws IOException {
    return ociLayout(dir, tag, layers, object());
  }

  /** An OCI image layout whose configuration has {@code process} as its {@code config} (Env, WorkingDir...). */
  public static Path ociLayout(Path dir, String tag, List<byte[]> layers, ObjectNode process) throws IOException {
    Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
    ArrayNode layerDescriptors = array();
    for (byte[] layer : layers) {
      String digest = sha256(layer);
      Files.write(blobs.resolve(digest), layer);
      layerDescriptors.add(object("mediaType", layerMediaType(layer),
          "digest", "sha256:" + digest, "size", layer.length));
    }
    byte[] config = encode(object("architecture", "amd64", "os", "linux", "config", process));
    Files.write(blobs.resolve(sha256(config)), config);
    byte[] manifest = encode(object("schemaVersion", 2,
        "mediaType", "application/vnd.oci.image.manifest.v1+json",
        "config", object("mediaType", "application/vnd.oci.image.config.v1+json",
            "digest", "sha256:" + sha256(config), "size", config.length),
        "layers", layerDescriptors));
    Files.write(blobs.resolve(sha256(manifest)), manifest);
    ObjectNode index = object("schemaVersion", 2, "manifests", array(
        object("mediaType", "application/vnd.oci.image.manifest.v1+json",
            "digest", "sha256:" + sha256(manifest), "size", manifest.length,
            "annotations", object("org.opencontainers.image.ref.name", tag))));
    Files.write(dir.resolve("index.json"), encode(index));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    return dir;
  }

  /** Tars a directory tree (an OCI layout) into {@code tarball}. */
  public static Path tarDirectory(Path dir, Path tarball) throws IOException {
    List<Path> files = new ArrayList<>();
    try (var s = Files.walk(dir)) {
      s.filter(Files::isRegularFile).forEach(files::add);
    }
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(tarball))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Path f : files) {
        TarArchiveEntry e = new TarArchiveEntry(dir.relativize(f).toString());
        e.setSize(Files.size(f));
        tar.putArchiveEntry(e);
        Files.copy(f, tar);
        tar.closeArchiveEntry();
      }
    }
    return tarball;
  }

  /** A classic {@code docker save} tarball: manifest.json and {@code <id>/layer.tar} (uncompressed) layers. */
  public static Path dockerSave(Path tarball, String repoTag, List<byte[]> layers) throws IOException {
    return dockerSave(tarball, repoTag, layers, layers.stream().map(TestImages::sha256).toList());
  }

  /** As {@link #dockerSave(Path, String, List)}, with the configuration's diff_ids given (hex). */
  public static Path dockerSave(Path tarball, String repoTag, List<byte[]> layers, List<String> diffIdHex)
      throws IOException {
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(tarball))) {
      ArrayNode names = array();
      for (byte[] layer : layers) {
        String name = sha256(layer) + "/layer.tar";
        names.add(name);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(layer.length);
        tar.putArchiveEntry(e);
        tar.write(layer);
        tar.closeArchiveEntry();
      }
      ArrayNode diffIds = array();
      diffIdHex.forEach(hex -> diffIds.add("sha256:" + hex));
      byte[] config = encode(object("architecture", "amd64", "os", "linux",
          "rootfs", object("type", "layers", "diff_ids", diffIds)));
      TarArchiveEntry c = new TarArchiveEntry(sha256(config) + ".json");
      c.setSize(config.length);
      tar.putArchiveEntry(c);
      tar.write(config);
      tar.closeArchiveEntry();
      byte[] manifest = encode(array(object("Config", sha256(config) + ".json", "RepoTags", array(repoTag),
          "Layers", names)));
      TarArchiveEntry e = new TarArchiveEntry("manifest.json");
      e.setSize(manifest.length);
      tar.putArchiveEntry(e);
      tar.write(manifest);
      tar.closeArchiveEntry();
    }
    return tarball;
  }
}
