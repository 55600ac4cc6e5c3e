package io.isolate.container.image;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Unpacks one image layer (a tar, possibly gzip-compressed) into an empty directory, for use as an overlayfs lower
 * layer. Every entry is hostile until proven otherwise:
 * <ul>
 *   <li>absolute names and names with {@code ..} segments are rejected;
 *   <li>an entry whose parent path goes through a symbolic link is rejected (a link "etc -> /etc" followed by
 *       "etc/passwd" would otherwise write to the host); symbolic links themselves are kept, they are resolved
 *       inside the isolate's root at run time;
 *   <li>a hard link must point at a regular file already unpacked in this layer;
 *   <li>device nodes are skipped (the isolate gets its own /dev);
 *   <li>whiteouts become overlayfs whiteouts: {@code .wh.NAME} a character device 0/0 (made by the helper, which
 *       can call mknod), {@code .wh..wh..opq} the {@code user.overlay.opaque} attribute (the helper mounts with
 *       {@code userxattr}).
 * </ul>
 */
final class LayerUnpacker {
  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE = ".wh..wh..opq";

  /** Creates overlayfs whiteouts; the JVM cannot mknod, the helper can. */
  interface WhiteoutMaker {
    void make(List<Path> paths) throws IOException;
  }

  /**
   * Whiteouts as extended attributes, which overlayfs honours in lower layers since Linux 6.8 and which need no
   * privilege: an empty file marked {@code user.overlay.whiteout}, its directory marked
   * {@code user.overlay.opaque=x} ("holds xattr whiteouts", unless it is already opaque).
   */
  static final WhiteoutMaker XATTR_WHITEOUTS = paths -> {
    for (Path p : paths) {
      Files.write(p, new byte[0]);
      UserDefinedFileAttributeView file = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
      UserDefinedFileAttributeView dir = Files.getFileAttributeView(p.getParent(), UserDefinedFileAttributeView.class);
      if (file == null || dir == null) {
        throw new IOException("no user extended attributes where " + p + " is; cannot make a whiteout");
      }
      file.write("overlay.whiteout", ByteBuffer.allocate(0));
      if (!dir.list().contains("overlay.opaque")) {
        dir.write("overlay.opaque", ByteBuffer.wrap("x".getBytes(StandardCharsets.US_ASCII)));
      }
    }
  };

  /** System property: the most bytes one layer may unpack to (default 8 GiB), against decompression bombs. */
  static final String MAX_BYTES_PROPERTY = "isolate.container.maxLayerBytes";

  private final WhiteoutMaker whiteouts;

  LayerUnpacker(WhiteoutMaker whiteouts) {
    this.whiteouts = whiteouts;
  }

  /** Unpacks {@code layer} into the empty directory {@code root}. */
  void unpack(InputStream layer, Path root) throws IOException {
    InputStream in = new BufferedInputStream(layer, 65536);
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      in = GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(true).get();
    } else if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
      throw new IOException("zstd-compressed layers are not supported; re-save the image with gzip layers");
    }
    long budget = Long.getLong(MAX_BYTES_PROPERTY, 8L << 30);
    long entries = 0;
    List<Path> whiteoutPaths = new ArrayList<>();
    Map<Path, Integer> dirModes = new LinkedHashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String name = checkedName(e.getName());
        if (name.isEmpty()) {
          continue; // "./"
        }
        budget -= Math.max(0, e.getSize()) + 512;
        if (budget < 0 || ++entries > 1_000_000) {
          throw new IOException("layer unpacks to more than " + Long.getLong(MAX_BYTES_PROPERTY, 8L << 30)
              + " bytes or a million entries (at " + name + "); raise -D" + MAX_BYTES_PROPERTY);
        }
        Path target = root.resolve(name);
        Path parent = target.getParent();
        ensureParents(root, parent, name);
        String file = target.getFileName().toString();
        if (file.equals(OPAQUE)) {
          UserDefinedFileAttributeView view = Files.getFileAttributeView(parent, UserDefinedFileAttributeView.class);
          if (view == null) {
            throw new IOException("the layer cache's file system has no user extended attributes (needed for " + name + ")");
          }
          view.write("overlay.opaque", ByteBuffer.wrap("y".getBytes(StandardCharsets.US_ASCII)));
          continue;
        }
        if (file.startsWith(WHITEOUT_PREFIX)) {
          whiteoutPaths.add(parent.resolve(file.substring(WHITEOUT_PREFIX.length())));
          continue;
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !(e.isDirectory()
            && Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS))) {
          deleteRecursively(target); // a later entry replaces an earlier one, as tar does
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
          dirModes.put(target, e.getMode());
        } else if (e.isSymbolicLink()) {
          Files.createSymbolicLink(target, Path.of(e.getLinkName()));
        } else if (e.isLink()) {
          Path linked = root.resolve(checkedName(e.getLinkName()));
          ensureParents(root, linked.getParent(), e.getLinkName());
          if (!Files.isRegularFile(linked, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("hard link " + name + " points to '" + e.getLinkName()
                + "', which is not a regular file earlier in the layer");
          }
          Files.createLink(target, linked);
        } else if (e.isFile()) {
          Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
          Files.setPosixFilePermissions(target, permissions(e.getMode()));
        } else if (e.isFIFO() || e.isCharacterDevice() || e.isBlockDevice()) {
          continue; // the isolate gets its own /dev; special files in images are not honoured
        } else {
          throw new IOException("unsupported tar entry type for " + name);
        }
      }
    }
    if (!whiteoutPaths.isEmpty()) {
      whiteouts.make(whiteoutPaths);
    }
    List<Path> dirs = new ArrayList<>(dirModes.keySet());
    for (int i = dirs.size() - 1; i >= 0; i--) {
      Set<PosixFilePermission> perms = permissions(dirModes.get(dirs.get(i)));
      perms.add(PosixFilePermission.OWNER_WRITE);
      perms.add(PosixFilePermission.OWNER_EXECUTE);
      Files.setPosixFilePermissions(dirs.get(i), perms);
    }
  }

  /** The entry name made relative; rejects absolute names and {@code ..}. */
  static String checkedName(String raw) throws IOException {
    String name = raw;
    while (name.startsWith("./")) {
      name = name.substring(2);
    }
    if (name.startsWith("/")) {
      throw new IOException("layer entry '" + raw + "' has an absolute path");
    }
    if (name.indexOf('\0') >= 0) {
      throw new IOException("layer entry '" + raw.replace('\0', '?') + "' contains NUL");
    }
    StringBuilder clean = new StringBuilder();
    for (String segment : name.split("/")) {
      if (segment.equals("..")) {
        throw new IOException("layer entry '" + raw + "' escapes the layer with '..'");
      }
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (clean.length() > 0) {
        clean.append('/');
      }
      clean.append(segment);
    }
    return clean.toString();
  }

  /** Creates the parent directories, refusing any component that is a symbolic link or not a directory. */
  private static void ensureParents(Path root, Path parent, String name) throws IOException {
    Path p = root;
    for (Path segment : root.relativize(parent)) {
      if (segment.toString().isEmpty()) {
        continue;
      }
      p = p.resolve(segment);
      if (Files.isSymbolicLink(p)) {
        throw new IOException("layer entry '" + name + "' goes through the symbolic link " + root.relativize(p));
      }
      if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(p);
      } else if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("layer entry '" + name + "' goes through " + root.relativize(p)
            + ", which is not a directory");
      }
    }
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_READ};
    for (int bit = 0; bit < 9; bit++) {
      if ((mode & (1 << bit)) != 0) {
        perms.add(order[bit]);
      }
    }
    return perms;
  }

  static void deleteRecursively(Path p) throws IOException {
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      try (var s = Files.list(p)) {
        for (Path child : s.toList()) {
          deleteRecursively(child);
        }
      }
    }
    Files.deleteIfExists(p);
  }
}
