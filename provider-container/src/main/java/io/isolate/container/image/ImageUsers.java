package io.isolate.container.image;

import io.isolate.RunAs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;

/**
 * Turns an image's {@code User} ({@code name}, {@code uid}, {@code name:group}, {@code uid:gid}, {@code name:gid},
 * {@code uid:group}) into ids, by Docker's rules: names are looked up in the image's own {@code /etc/passwd} and
 * {@code /etc/group}; a user without a group gets its passwd entry's primary group (0 for a uid with no entry). The
 * files are read from the unpacked layers, top-most first, without following a symbolic link (a layer is the image
 * author's), stopping at a whiteout or an opaque {@code /etc}.
 */
public final class ImageUsers {
  private static final int MAX_FILE = 1 << 20;

  private ImageUsers() {}

  /**
   * The ids {@code user} names in the image whose layers are {@code layers} (top-most first).
   *
   * @throws IOException saying which name the image does not know
   */
  public static RunAs resolve(String user, List<Path> layers) throws IOException {
    String name = user;
    String group = null;
    int colon = user.indexOf(':');
    if (colon >= 0) {
      name = user.substring(0, colon);
      group = user.substring(colon + 1);
    }
    int uid;
    int primaryGid = 0;
    if (name.matches("[0-9]{1,9}")) {
      uid = Integer.parseInt(name);
      String[] entry = find(read(layers, "passwd"), 2, name);
      if (entry != null) {
        primaryGid = number(entry[3], "passwd");
      }
    } else {
      String[] entry = find(read(layers, "passwd"), 0, name);
      if (entry == null) {
        throw new IOException("the image's User '" + user + "' is not in its /etc/passwd");
      }
      uid = number(entry[2], "passwd");
      primaryGid = number(entry[3], "passwd");
    }
    int gid = primaryGid;
    if (group != null && !group.isEmpty()) {
      if (group.matches("[0-9]{1,9}")) {
        gid = Integer.parseInt(group);
      } else {
        String[] entry = find(read(layers, "group"), 0, group);
        if (entry == null) {
          throw new IOException("the image's User '" + user + "' names group '" + group + "', which is not in its "
              + "/etc/group");
        }
        gid = number(entry[2], "group");
      }
    }
    try {
      return new RunAs(uid, gid);
    } catch (io.isolate.InvalidSpecException e) {
      throw new IOException("the image's User '" + user + "': " + e.getMessage());
    }
  }

  private static int number(String field, String file) throws IOException {
    if (!field.matches("[0-9]{1,9}")) {
      throw new IOException("the image's /etc/" + file + " has an id '" + field + "' that is not a number");
    }
    return Integer.parseInt(field);
  }

  /** The colon-separated entry whose field {@code index} is {@code key}, or null. */
  private static String[] find(String content, int index, String key) {
    if (content == null) {
      return null;
    }
    for (String line : content.split("\n")) {
      String[] fields = line.split(":", -1);
      if (fields.length > Math.max(index, 3) && fields[index].equals(key)) {
        return fields;
      }
    }
    return null;
  }

  /** {@code /etc/<file>} of the image, or null when it has none. */
  private static String read(List<Path> layers, String file) throws IOException {
    for (Path layer : layers) {
      Path etc = layer.resolve("etc");
      if (Files.exists(layer.resolve(".wh.etc"), LinkOption.NOFOLLOW_LINKS)
          || Files.exists(etc.resolve(".wh." + file), LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      if (!Files.isDirectory(etc, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      Path candidate = etc.resolve(file);
      if (Files.isRegularFile(candidate, LinkOption.NOFOLLOW_LINKS)) {
        try (InputStream in = Channels.newInputStream(Files.newByteChannel(candidate,
            Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)))) {
          byte[] bytes = in.readNBytes(MAX_FILE + 1);
          if (bytes.length > MAX_FILE) {
            throw new IOException("the image's /etc/" + file + " is larger than " + MAX_FILE + " bytes");
          }
          return new String(bytes, StandardCharsets.UTF_8);
        }
      }
      if (Files.exists(etc.resolve(".wh..wh..opq"), LinkOption.NOFOLLOW_LINKS)
          || Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
        return null; // an opaque /etc, or a passwd that is not a regular file: what is below does not show
      }
    }
    return null;
  }
}
