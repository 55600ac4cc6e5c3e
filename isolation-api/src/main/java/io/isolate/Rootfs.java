package io.isolate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The root file system of an OS-level isolate.
 *
 * <ul>
 *   <li>{@link #hostReadOnly()}: the host's {@code /usr}, {@code /bin}, {@code /lib*} and {@code /etc}, read-only
 *       (the default);
 *   <li>{@link #directory(Path)}: a host directory holding a root file system, read-only;
 *   <li>{@link #ociImage(Path, String)}: an OCI image layout or a {@code docker save} tarball, unpacked once into
 *       a content-addressed cache and assembled with a throw-away writable layer;
 *   <li>{@link #image(String)}: an image in a registry ({@code redis:7}, {@code ghcr.io/org/app@sha256:...}),
 *       pulled into the same cache the first time it is used.
 * </ul>
 */
public final class Rootfs {
  /** The kinds of root file system. */
  public enum Kind {
    HOST_READ_ONLY,
    DIRECTORY,
    /** An image: from a local layout or tarball ({@link #path()}), or from a registry ({@link #reference()}). */
    OCI_IMAGE
  }

  private static final Rootfs HOST_READ_ONLY = new Rootfs(Kind.HOST_READ_ONLY, null, null, null);

  private final Kind kind;
  private final Path path;
  private final String tag;
  private final ImageReference reference;

  private Rootfs(Kind kind, Path path, String tag, ImageReference reference) {
    this.kind = kind;
    this.path = path;
    this.tag = tag;
    this.reference = reference;
  }

  /** The host's system directories, read-only. */
  public static Rootfs hostReadOnly() {
    return HOST_READ_ONLY;
  }

  /** The directory {@code root} as the root file system, read-only. */
  public static Rootfs directory(Path root) {
    Objects.requireNonNull(root, "root");
    Path absolute = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(absolute)) {
      throw new InvalidSpecException("rootfs directory '" + root + "' is not an existing directory");
    }
    return new Rootfs(Kind.DIRECTORY, absolute, null, null);
  }

  /** The only (or first) image of an OCI layout directory or a {@code docker save} tarball. */
  public static Rootfs ociImage(Path image) {
    return ociImage(image, null);
  }

  /** The image tagged {@code tag} (for example {@code latest} or {@code busybox:1.36}), or the first when null. */
  public static Rootfs ociImage(Path image, String tag) {
    Objects.requireNonNull(image, "image");
    Path absolute = image.toAbsolutePath().normalize();
    if (!Files.exists(absolute)) {
      throw new InvalidSpecException("OCI image '" + image + "' does not exist");
    }
    if (tag != null && tag.isBlank()) {
      throw new InvalidSpecException("OCI image tag must not be blank");
    }
    return new Rootfs(Kind.OCI_IMAGE, absolute, tag, null);
  }

  /**
   * The image {@code reference} in a registry, as Docker names it ({@code redis:7}, {@code docker.io/library/redis:7},
   * {@code 127.0.0.1:5000/tool@sha256:...}); see {@link ImageReference}.
   *
   * @throws InvalidSpecException when the reference is malformed
   */
  public static Rootfs image(String reference) {
    return image(ImageReference.parse(reference));
  }

  /** The image {@code reference} in a registry. */
  public static Rootfs image(ImageReference reference) {
    Objects.requireNonNull(reference, "reference");
    return new Rootfs(Kind.OCI_IMAGE, null, reference.tag().orElse(null), reference);
  }

  /**
   * Parses the command-line form: {@code host}, a directory, {@code oci:PATH[:TAG]}, or
   * {@code docker://[HOST[:PORT]/]NAME[:TAG|@DIGEST]} for an image in a registry (skopeo's transport syntax).
   */
  public static Rootfs parse(String text) {
    if (text.equals("host")) {
      return hostReadOnly();
    }
    if (text.startsWith("docker://")) {
      return image(text.substring("docker://".length()));
    }
    if (text.startsWith("oci:")) {
      String rest = text.substring(4);
      int colon = rest.lastIndexOf(':');
      if (colon > 0 && !Files.exists(Path.of(rest))) {
        return ociImage(Path.of(rest.substring(0, colon)), rest.substring(colon + 1));
      }
      return ociImage(Path.of(rest));
    }
    return directory(Path.of(text));
  }

  public Kind kind() {
    return kind;
  }

  /** The directory or image path; empty for {@link Kind#HOST_READ_ONLY} and for an image in a registry. */
  public Optional<Path> path() {
    return Optional.ofNullable(path);
  }

  /** The image tag asked for, if any. */
  public Optional<String> tag() {
    return Optional.ofNullable(tag);
  }

  /** The image in a registry, for a root file system made by {@link #image(String)}. */
  public Optional<ImageReference> reference() {
    return Optional.ofNullable(reference);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Rootfs r && r.kind == kind && Objects.equals(r.path, path) && Objects.equals(r.tag, tag)
        && Objects.equals(r.reference, reference);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, path, tag, reference);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case HOST_READ_ONLY -> "host (read-only)";
      case DIRECTORY -> "directory " + path;
      case OCI_IMAGE -> reference != null ? "docker://" + reference : "oci " + path + (tag == null ? "" : ":" + tag);
    };
  }
}
