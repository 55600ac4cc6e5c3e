package io.isolate;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The name of an image in a registry, as Docker writes it: {@code redis:7}, {@code docker.io/library/redis:7},
 * {@code ghcr.io/org/app@sha256:...}, {@code 127.0.0.1:5000/team/tool:1.2}. A name without a registry is Docker
 * Hub's ({@code docker.io}), where a single-component name is an official image ({@code library/...}); a name with
 * neither tag nor digest means {@code latest}. When both are given the digest decides, and the tag is kept only for
 * messages.
 */
public final class ImageReference {
  /** Docker Hub's name in references. */
  public static final String DOCKER_HUB = "docker.io";

  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern HOST = Pattern.compile(
      "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
          + "|\\[[0-9A-Fa-f:.]+\\]");
  private static final int MAX_NAME = 255;

  private final String registry;
  private final String repository;
  private final String tag;
  private final String digest;

  private ImageReference(String registry, String repository, String tag, String digest) {
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
  }

  /**
   * Parses and normalizes a reference.
   *
   * @throws InvalidSpecException saying which part is malformed
   */
  public static ImageReference parse(String text) {
    Objects.requireNonNull(text, "image reference");
    String rest = text;
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
      if (!SHA256.matcher(digest).matches()) {
        throw new InvalidSpecException("image reference '" + text + "': the digest must be sha256: and 64 "
            + "lower-case hex digits");
      }
    }
    String tag = null;
    int slash = rest.lastIndexOf('/');
    int colon = rest.lastIndexOf(':');
    if (colon > slash) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new InvalidSpecException("image reference '" + text + "': tag '" + tag + "' is not a valid tag "
            + "(letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')");
      }
    }
    if (rest.isEmpty()) {
      throw new InvalidSpecException("image reference '" + text + "' names no image");
    }
    String registry = DOCKER_HUB;
    String path = rest;
    int first = rest.indexOf('/');
    if (first > 0) {
      String head = rest.substring(0, first);
      if (head.contains(".") || head.contains(":") || head.equals("localhost") || !head.equals(
          head.toLowerCase(Locale.ROOT))) {
        registry = checkedRegistry(head, text);
        path = rest.substring(first + 1);
      }
    }
    if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
      registry = DOCKER_HUB;
    }
    for (String component : path.split("/", -1)) {
      if (!COMPONENT.matcher(component).matches()) {
        throw new InvalidSpecException("image reference '" + text + "': '" + component + "' is not a valid name "
            + "component (lower-case letters and digits, separated by '.', '_', '__' or '-')");
      }
    }
    if (registry.equals(DOCKER_HUB) && !path.contains("/")) {
      path = "library/" + path;
    }
    if (path.length() > MAX_NAME) {
      throw new InvalidSpecException("image reference '" + text + "': the name is longer than " + MAX_NAME);
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new ImageReference(registry, path, tag, digest);
  }

  private static String checkedRegistry(String head, String text) {
    String host = head;
    int colon = head.lastIndexOf(':');
    if (colon > 0 && !head.endsWith("]")) {
      String port = head.substring(colon + 1);
      host = head.substring(0, colon);
      if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) == 0 || Integer.parseInt(port) > 65535) {
        throw new InvalidSpecException("image reference '" + text + "': '" + port + "' is not a port");
      }
    }
    if (!HOST.matcher(host).matches()) {
      throw new InvalidSpecException("image reference '" + text + "': '" + host + "' is not a registry host");
    }
    return head;
  }

  /** The registry: {@code docker.io}, {@code ghcr.io}, {@code 127.0.0.1:5000}... */
  public String registry() {
    return registry;
  }

  /** The repository within the registry: {@code library/redis}, {@code org/app}. */
  public String repository() {
    return repository;
  }

  /** The tag, if one was given (or {@code latest} when neither tag nor digest was). */
  public Optional<String> tag() {
    return Optional.ofNullable(tag);
  }

  /** The digest ({@code sha256:...}), if one was given. */
  public Optional<String> digest() {
    return Optional.ofNullable(digest);
  }

  /** What to ask the registry for: the digest when there is one, else the tag. */
  public String manifestReference() {
    return digest != null ? digest : tag;
  }

  /** This reference pinned to {@code digest} (the tag kept for messages). */
  public ImageReference withDigest(String digest) {
    return parse(registry + "/" + repository + (tag == null ? "" : ":" + tag) + "@" + digest);
  }

  /** The normalized form, {@code registry/repository[:tag][@digest]}. */
  @Override
  public String toString() {
    return registry + "/" + repository + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImageReference r && r.toString().equals(toString());
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }
}
