package io.isolate.container.image;

import io.isolate.container.ContainerSettings;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Unpacks one image layer (a tar, possibly gzip-compressed) into an empty directory, for use as an overlayfs lower
 * layer. This class reads the tar and decides what each entry becomes; {@link LayerWriter} carries it out inside a
 * namespace whose whole file system is the layer directory, so that no entry, however crafted, can resolve to a host
 * file (an earlier design resolved paths in the JVM and was undone by later entries: a directory replaced by a link
 * before its mode was applied, a whiteout made through a link). Every entry is still hostile:
 * <ul>
 *   <li>absolute names and names with {@code ..} segments are rejected;
 *   <li>an entry whose parent path goes through a symbolic link, or through something that is not a directory, is
 *       rejected (a link "etc -> /etc" followed by "etc/passwd"); symbolic links themselves are kept, they are
 *       resolved inside the isolate's root at run time;
 *   <li>a hard link must point at a regular file already unpacked in this layer;
 *   <li>device nodes and FIFOs are skipped (the isolate gets its own /dev); setuid and setgid bits are dropped;
 *   <li>a later entry replaces an earlier one of the same name, as tar does (an earlier directory is removed with
 *       what it holds, unless the later entry is a directory too, which then only sets its mode);
 *   <li>whiteouts become overlayfs whiteouts: {@code .wh.NAME} a character device 0/0, {@code .wh..wh..opq} the
 *       {@code user.overlay.opaque} attribute of its directory (the helper mounts overlayfs with
 *       {@code userxattr});
 *   <li>every entry counts its real size (a sparse file its expanded size, a PAX size its stated size) and 512
 *       bytes against the caps before a byte of it is written.
 * </ul>
 * Directories are owner-writable and -searchable whatever the image says, so that the cache can later remove them.
 */
final class LayerUnpacker {
  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE = ".wh..wh..opq";

  /** The most entries one layer may hold. */
  static final int MAX_ENTRIES = 1_000_000;
  /** The most bytes all entry names of one layer may take (a million names of 256 bytes). */
  static final long MAX_NAME_BYTES = 256L << 20;

  /**
   * How many bytes unpacking may still write, and until when it may run.
   *
   * @param bytes the bytes left
   * @param name the cap, as the error names it ("the layer cap -Disolate.container.maxLayerBytes=...")
   * @param deadlineNanos the {@link System#nanoTime()} after which unpacking gives up (see
   *     {@link ContainerSettings#imagePrepareSeconds()})
   */
  record Cap(long bytes, String name, long deadlineNanos) {
    void checkTime(String at) throws IOException {
      if (System.nanoTime() - deadlineNanos > 0) {
        throw new IOException("preparing the image took longer than -D" + ContainerSettings.IMAGE_PREPARE_SECONDS
            + " allows (at " + at + ")");
      }
    }
  }

  /** What an unpacked name is, as far as later entries of the layer are concerned. */
  private enum Kind { DIRECTORY, FILE, SYMLINK, OTHER }

  private LayerUnpacker() {}

  /**
   * Unpacks {@code layer} into the empty directory {@code root}, which the caller owns and discards on failure.
   *
   * @return what the layer takes against the caps: its files' bytes (sparse files at their real size) and 512 bytes
   *     for each entry, which the cache records as the layer's size: a layer of many empty files is not free
   * @throws IOException naming the entry at fault, or the cap exceeded
   */
  static long unpack(InputStream layer, Path root, Cap cap) throws IOException {
    String[] at = {null}; // the entry being unpacked, for the message of an exception that has none
    try {
      return unpack(layer, root, cap, at);
    } catch (IOException e) {
      throw TarReader.explained(e, at[0] == null ? "the layer" : "the layer, at entry " + at[0] + " or after it,");
    }
  }

  private static long unpack(InputStream layer, Path root, Cap cap, String[] at) throws IOException {
    InputStream in = new BufferedInputStream(layer, 65536);
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      in = GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(true).get();
    } else if (ZstdLayers.isZstd(magic)) {
      in = ZstdLayers.decoding(in, cap.deadlineNanos());
    }
    long used = 0;
    long nameBytes = 0;
    int entries = 0;
    TreeMap<String, Kind> tree = new TreeMap<>();
    // the decoder is closed whatever fails first: a zstd decoder's native memory is freed only by its close
    try (InputStream decoded = in;
        LayerWriter out = LayerWriter.start(root, cap.deadlineNanos());
        TarReader tar = new TarReader(decoded, () -> cap.checkTime(at[0] == null ? "the layer's start" : at[0]))) {
      for (TarArchiveEntry e = tar.next(); e != null; e = tar.next()) {
        String name = checkedName(e.getName());
        at[0] = name;
        // every entry counts, "./" included: a stream of them must not run without limits
        if (++entries > MAX_ENTRIES) {
          throw new IOException("the layer has more than " + MAX_ENTRIES + " entries");
        }
        cap.checkTime(name);
        long size = e.isFile() ? Math.max(0, e.getRealSize()) : 0;
        // what the entry declares it stores counts too, whatever its type: no content declared by any entry may be
        // free to decode (a layer anyone built declares none for a directory or a link)
        long charged = Math.max(size, Math.max(0, e.getSize()));
        used = Math.addExact(used, Math.addExact(charged, 512));
        if (used > cap.bytes()) {
          throw new IOException("the layer unpacks to more than " + cap.name() + " allows (at " + name + ", "
              + charged + " bytes)");
        }
        // the names are kept in memory until the layer ends: bounded apart from the bytes on disk
        nameBytes += name.length();
        if (nameBytes > MAX_NAME_BYTES) {
          throw new IOException("the layer's entry names take more than " + (MAX_NAME_BYTES >> 20) + " MiB");
        }
        if (name.isEmpty()) {
          continue; // "./"
        }
        int slash = name.lastIndexOf('/');
        String parent = slash < 0 ? "" : name.substring(0, slash);
        String file = name.substring(slash + 1);
        ensureParents(tree, out, parent, name);
        if (file.equals(OPAQUE)) {
          if (parent.isEmpty()) {
            continue; // the layer's root: overlayfs has no use for it
          }
          out.opaque(parent);
          continue;
        }
        String target = name;
        if (file.startsWith(WHITEOUT_PREFIX)) {
          String hidden = file.substring(WHITEOUT_PREFIX.length());
          if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
            throw new IOException("layer entry '" + name + "' is a whiteout of nothing");
          }
          target = parent.isEmpty() ? hidden : parent + "/" + hidden;
        }
        Kind existing = tree.get(target);
        boolean keepDirectory = existing == Kind.DIRECTORY && e.isDirectory() && !file.startsWith(WHITEOUT_PREFIX);
        if (existing != null && !keepDirectory) {
          out.remove(target); // a later entry replaces an earlier one, as tar does
          forget(tree, target);
        }
        if (file.startsWith(WHITEOUT_PREFIX)) {
          out.whiteout(target);
          tree.put(target, Kind.OTHER);
        } else if (e.isDirectory()) {
          int mode = (e.getMode() & 01777) | 0700;
          if (keepDirectory) {
            out.chmodDirectory(name, mode);
          } else {
            out.directory(name, mode);
            tree.put(name, Kind.DIRECTORY);
          }
        } else if (e.isSymbolicLink()) {
          String link = e.getLinkName();
          if (link.isEmpty() || link.indexOf('\0') >= 0) {
            throw new IOException("symbolic link " + name + " has an empty or malformed target");
          }
          out.symlink(name, link);
          tree.put(name, Kind.SYMLINK);
        } else if (e.isLink()) {
          String linked = checkedName(e.getLinkName());
          int cut = linked.lastIndexOf('/');
          if (cut > 0) {
            ensureParents(tree, null, linked.substring(0, cut), name);
          }
          if (tree.get(linked) != Kind.FILE) {
            throw new IOException("hard link " + name + " points to '" + e.getLinkName()
                + "', which is not a regular file earlier in the layer");
          }
          out.hardLink(name, linked);
          tree.put(name, Kind.FILE);
        } else if (e.isFile()) {
          out.file(name, e.getMode() & 0777, size, tar.content(), () -> cap.checkTime(name));
          tree.put(name, Kind.FILE);
        } else if (e.isFIFO() || e.isCharacterDevice() || e.isBlockDevice()) {
          continue; // the isolate gets its own /dev; special files in images are not honoured
        } else {
          throw new IOException("unsupported tar entry type '" + (char) e.getLinkFlag() + "' for " + name);
        }
      }
      if (entries == 0 && tar.bytesRead() < 1024) {
        // a tar ends with two zero blocks; fewer bytes and no entry is not an empty layer but a broken one
        throw new IOException("the layer is not a tar archive (" + tar.bytesRead() + " bytes and no entry)");
      }
      out.finish();
    }
    return used;
  }

  /**
   * Creates missing parent directories, or with no {@code out} only checks that they are there; refuses a parent that
   * is a symbolic link or not a directory.
   */
  private static void ensureParents(TreeMap<String, Kind> tree, LayerWriter out, String parent, String name)
      throws IOException {
    if (parent.isEmpty()) {
      return;
    }
    int from = 0;
    while (true) {
      int slash = parent.indexOf('/', from);
      String prefix = slash < 0 ? parent : parent.substring(0, slash);
      Kind kind = tree.get(prefix);
      if (kind == null && out == null) {
        throw new IOException("layer entry '" + name + "' refers to " + prefix + ", which the layer does not hold");
      } else if (kind == null) {
        out.directory(prefix, 0755);
        tree.put(prefix, Kind.DIRECTORY);
      } else if (kind == Kind.SYMLINK) {
        throw new IOException("layer entry '" + name + "' goes through the symbolic link " + prefix);
      } else if (kind != Kind.DIRECTORY) {
        throw new IOException("layer entry '" + name + "' goes through " + prefix + ", which is not a directory");
      }
      if (slash < 0) {
        return;
      }
      from = slash + 1;
    }
  }

  /** Drops {@code name} and everything under it from the record of what the layer holds. */
  private static void forget(TreeMap<String, Kind> tree, String name) {
    tree.remove(name);
    tree.subMap(name + "/", name + "0").clear(); // '0' follows '/': exactly the names under name/
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
