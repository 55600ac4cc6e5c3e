package io.isolate.container.image;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.isolate.ImageReference;
import io.isolate.container.ContainerSettings;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.json.Json;
import io.isolate.container.registry.ImagePuller;
import io.isolate.spi.SystemProperties;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * The content-addressed layer cache: each layer is unpacked once, into {@code layers/<sha256 prefix>}, checked
 * against its digest, and shared by every image and isolate that uses it. Unpacking goes to a scratch directory
 * first and is renamed into place, so a half-unpacked or rejected layer never enters the cache.
 *
 * <p>The cache directory is {@link ContainerSettings#imageCache()}, else {@code ~/.cache/isolate-<uid>/images}.
 * Which layers an image file holds is remembered per file (path, size, modification time, tag) in a Caffeine
 * cache, so creating many isolates from one image reads it once.
 *
 * <p>The cache is trimmed to {@link ContainerSettings#imageCacheMaxBytes()} (default 8 GiB) whenever a new layer enters it: the layers
 * used least recently go first, never one that an isolate of any JVM uses ({@link LayerLeases}) nor one of the image
 * being prepared. Each layer's size is recorded when it is unpacked ({@code layers/<name>.size}).
 */
public final class ImageStore {
  private static final System.Logger LOG = System.getLogger("io.isolate.os");

  /** Layer directory names: enough of the digest to be unique, short enough for overlayfs' option page. */
  static final int NAME_HEX = 32;

  private static volatile ImageStore shared;

  private final Path root;
  private final Cache<String, PreparedImage> images = Caffeine.newBuilder().maximumSize(256).build();
  private final Cache<String, Path> layers = Caffeine.newBuilder().maximumSize(4096).build();
  private final LayerLeases leases = new LayerLeases();
  private volatile boolean unpackedSinceTrim;

  ImageStore(Path root) {
    this.root = root;
  }

  /** The store in the configured directory. */
  public static ImageStore shared() {
    ImageStore s = shared;
    if (s == null) {
      synchronized (ImageStore.class) {
        s = shared;
        if (s == null) {
          Path dir = ContainerSettings.fromSystemProperties().imageCache().orElse(SystemProperties.userHome()
              .resolve(".cache").resolve("isolate-" + HelperBinary.currentUid()).resolve("images"));
          s = new ImageStore(dir);
          shared = s;
        }
      }
    }
    return s;
  }

  /** The root of the cache. */
  public Path root() {
    return root;
  }

  /**
   * The unpacked layers of the image at {@code image} tagged {@code tag} (or its first image), top-most first, as
   * overlayfs wants them.
   *
   * @throws IOException naming the image and what is wrong with it
   */
  public List<Path> layers(Path image, String tag) throws IOException {
    return prepare(image, tag).layers();
  }

  /**
   * The image's unpacked layers (top-most first) with the defaults its configuration sets for processes.
   *
   * @param layers the layer directories, top-most first, as overlayfs wants them
   * @param env the image's environment ({@code NAME=value}), to be overridden by the spec's
   * @param workingDir the image's working directory, or null
   * @param entrypoint the image's Entrypoint, possibly empty
   * @param cmd the image's Cmd, possibly empty
   * @param commandProblem why Entrypoint or Cmd cannot be used (malformed in the configuration), or null
   * @param user the image's User ({@code name}, {@code uid}, {@code name:group}, {@code uid:gid}...), or null
   * @param stopSignal the image's StopSignal as a number (0 when it names none, or one this level cannot send)
   * @param exposedTcpPorts the TCP ports of the image's ExposedPorts
   */
  public record PreparedImage(List<Path> layers, List<String> env, String workingDir, List<String> entrypoint,
      List<String> cmd, String commandProblem, String user, int stopSignal, List<Integer> exposedTcpPorts) {}

  /**
   * Unpacks what is missing of the image at {@code image} tagged {@code tag} (or its first image).
   *
   * @throws IOException naming the image and what is wrong with it
   */
  public PreparedImage prepare(Path image, String tag) throws IOException {
    return prepare(image, tag, ContainerSettings.fromSystemProperties());
  }

  /**
   * Unpacks what is missing of the image under the caps of {@code settings} (an isolate's own).
   *
   * @throws IOException naming the image and what is wrong with it
   */
  public PreparedImage prepare(Path image, String tag, ContainerSettings settings) throws IOException {
    String key = image.toAbsolutePath() + "|" + Files.size(image) + "|" + identity(image) + "|" + tag;
    PreparedImage known = images.getIfPresent(key);
    if (known != null && known.layers().stream().allMatch(Files::isDirectory)) {
      return known;
    }
    Path tmp = Files.createDirectories(root.resolve("tmp"));
    Path scratch = tmp.resolve("read-" + UUID.randomUUID());
    try {
      ImageArchive.Image parsed = ImageArchive.open(image, scratch, settings.maxImageBytes()).image(tag);
      return prepare(parsed, image + (tag == null ? "" : ":" + tag), key, settings);
    } finally {
      if (Files.exists(scratch)) {
        LayerUnpacker.deleteRecursively(scratch);
      }
    }
  }

  /**
   * Pulls what is missing of the image {@code ref} from its registry (see {@link ImagePuller}) and unpacks its layers
   * under the caps of {@code settings}.
   *
   * @throws IOException naming the image and what the registry answered or what is wrong with the image
   */
  public PreparedImage prepare(ImageReference ref, ContainerSettings settings) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.imagePrepareSeconds());
    ImagePuller puller = new ImagePuller(root.resolve("registry"), settings.registries());
    ImagePuller.Resolved resolved = puller.resolve(ref);
    String key = "registry|" + resolved.reference().digest().orElseThrow();
    PreparedImage known = images.getIfPresent(key);
    if (known != null && known.layers().stream().allMatch(Files::isDirectory)) {
      return known;
    }
    Path tmp = Files.createDirectories(root.resolve("tmp"));
    // a stored layer is at most about twice what it unpacks to (see unpack): a larger declared size is refused first
    long maxStored = Math.addExact(Math.multiplyExact(Math.min(settings.maxLayerBytes(), Long.MAX_VALUE / 4), 2),
        1 << 20);
    List<ImageArchive.Layer> layers = new ArrayList<>();
    for (ImagePuller.Blob blob : resolved.layers()) {
      layers.add(new ImageArchive.Layer(blob.digestHex(), false, () -> new ImageArchive.Member(
          "sha256:" + blob.digestHex() + " of " + ref, null, puller.download(resolved, blob, tmp, maxStored, deadline),
          true, true)));
    }
    ObjectNode config = Json.parseObject(resolved.config(), "the configuration of " + ref);
    return prepare(new ImageArchive.Image(List.copyOf(layers), config), ref.toString(), key, settings);
  }

  private PreparedImage prepare(ImageArchive.Image parsed, String image, String key, ContainerSettings settings)
      throws IOException {
    long imageCap = settings.maxImageBytes();
    long layerCap = settings.maxLayerBytes();
    long imageLeft = imageCap;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.imagePrepareSeconds());
    List<Path> dirs = new ArrayList<>();
    for (ImageArchive.Layer layer : parsed.layers()) {
      LayerUnpacker.Cap cap = imageLeft < layerCap
          ? new LayerUnpacker.Cap(imageLeft, "the image cap -D" + ContainerSettings.MAX_IMAGE_BYTES + "=" + imageCap
              + " (with the layers below it)", deadline)
          : new LayerUnpacker.Cap(layerCap, "the layer cap -D" + ContainerSettings.MAX_LAYER_BYTES + "=" + layerCap,
              deadline);
      Path dir = layer(layer, cap);
      long size = recordedSize(dir);
      if (size > cap.bytes()) {
        throw new IOException("image " + image + " unpacks to more than " + cap.name() + " allows (layer "
            + dir.getFileName() + ": " + size + " bytes)");
      }
      imageLeft -= size;
      dirs.add(dir);
    }
    Collections.reverse(dirs);
    for (Path dir : dirs) {
      LayerLeases.markUsed(dir); // fresh: no trim takes it before the caller leases it (RECENT_USE_MILLIS)
    }
    if (unpackedSinceTrim) {
      unpackedSinceTrim = false;
      try {
        trim(settings.imageCacheMaxBytes(), Set.copyOf(dirs));
      } catch (IOException | RuntimeException e) {
        // trimming is best-effort: the image is prepared, the next new layer tries again
        LOG.log(System.Logger.Level.WARNING, "cannot trim the layer cache " + root + " to "
            + settings.imageCacheMaxBytes() + " bytes; it may grow past that until a later trim succeeds", e);
      }
    }
    PreparedImage result = ImageConfig.prepared(List.copyOf(dirs), parsed.config(), image);
    images.put(key, result);
    LOG.log(System.Logger.Level.DEBUG, "image " + image + " prepared: " + dirs.size() + " layers in " + root);
    return result;
  }

  private static String identity(Path image) throws IOException {
    Path marker = Files.isDirectory(image) ? image.resolve("index.json") : image;
    FileTime t = Files.exists(marker) ? Files.getLastModifiedTime(marker) : FileTime.fromMillis(0);
    return Long.toString(t.toMillis());
  }

  private Path layer(ImageArchive.Layer layer, LayerUnpacker.Cap cap) throws IOException {
    if (layer.declaredDigest() != null) {
      Path dir = root.resolve("layers").resolve(layer.declaredDigest().substring(0, NAME_HEX));
      if (Files.isDirectory(dir)) {
        return dir;
      }
      // What this JVM remembers of the layer is stale: it was removed since (another JVM's trim, a user clearing the
      // cache). Forget it, so that it is unpacked again rather than reported missing.
      layers.invalidate(layer.declaredDigest());
      try {
        return layers.get(layer.declaredDigest(), d -> {
          try {
            return unpackOnce(layer, dir, cap);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
    return unpack(layer, cap);
  }

  /**
   * Unpacks a layer that another JVM may be unpacking (or pulling) at the same time: under a lock file of its own,
   * so that one of them does the work and the others find it done.
   */
  private Path unpackOnce(ImageArchive.Layer layer, Path dir, LayerUnpacker.Cap cap) throws IOException {
    Path lockFile = Files.createDirectories(root.resolve("locks")).resolve(layer.declaredDigest().substring(0,
        NAME_HEX));
    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(lockFile,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock ignored = channel.lock()) {
      if (Files.isDirectory(dir)) {
        return dir;
      }
      return unpack(layer, cap);
    }
  }

  /**
   * Checks the layer against its digest, then unpacks it into scratch and renames it into the cache. Not a byte of a
   * layer is parsed before its digest matches: a blob of someone else's (an image directory) is first copied where
   * only this JVM can write, so that what was hashed is what is unpacked.
   */
  private Path unpack(ImageArchive.Layer layer, LayerUnpacker.Cap cap) throws IOException {
    Path layersDir = Files.createDirectories(root.resolve("layers"));
    Path tmp = Files.createDirectories(root.resolve("tmp"));
    String id = UUID.randomUUID().toString();
    Path scratch = Files.createDirectory(tmp.resolve("unpack-" + id),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path copy = tmp.resolve("blob-" + id);
    try {
      ImageArchive.Member member = layer.source().fetch();
      Path file = member.file();
      if (member.pulled()) {
        copy = file; // this JVM's own download: deleted with the scratch copies below
      }
      // A layer's stored and decompressed streams are at most about twice what it unpacks to (a tar header and
      // padding per entry, which the cap counts as 512 bytes): reading more than that, or past the deadline, is
      // refused before it fills a disk or holds the thread.
      long maxStream = Math.addExact(Math.multiplyExact(Math.min(cap.bytes(), Long.MAX_VALUE / 4), 2), 1 << 20);
      if (file != null && !member.owned()) {
        // the image directory is the user's: its final component is not followed if it became a link, and the
        // copy is bounded like the rest
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          throw new IOException("layer " + member.name() + " is not a regular file");
        }
        try (InputStream in = java.nio.channels.Channels.newInputStream(Files.newByteChannel(file,
            java.util.Set.of(java.nio.file.StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)))) {
          Files.copy(bounded(in, maxStream, cap, member.name()), copy);
        }
        file = copy;
      }
      String hex = member.pulled() ? layer.declaredDigest()
          : file != null ? sha256(Files.newInputStream(file)) : ImageArchive.sha256(member.bytes());
      if (layer.declaredDigest() != null) {
        String checked = hex;
        byte[] magic = magic(file, member.bytes());
        boolean gzip = magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
        if (layer.ofUncompressed() && (gzip || ZstdLayers.isZstd(magic))) {
          // a docker archive's diff_id names the uncompressed tar: hash what the layer decompresses to
          try (InputStream raw = file != null ? Files.newInputStream(file) : new ByteArrayInputStream(member.bytes());
              InputStream tar = gzip ? GzipCompressorInputStream.builder().setInputStream(raw)
                  .setDecompressConcatenated(true).get() : ZstdLayers.decoding(raw, cap.deadlineNanos())) {
            checked = sha256(bounded(tar, maxStream, cap, member.name()));
          } catch (IOException e) {
            throw TarReader.explained(e, "layer " + member.name());
          }
        }
        if (!checked.equals(layer.declaredDigest())) {
          throw new IOException("layer " + member.name() + " is corrupt: its content hashes to sha256:" + checked
              + ", not to the declared sha256:" + layer.declaredDigest());
        }
      }
      String name = layer.declaredDigest() != null ? layer.declaredDigest() : hex;
      Path dir = layersDir.resolve(name.substring(0, NAME_HEX));
      if (Files.isDirectory(dir)) {
        return dir;
      }
      long size;
      try (InputStream in = file != null ? Files.newInputStream(file) : new ByteArrayInputStream(member.bytes())) {
        size = LayerUnpacker.unpack(in, scratch, cap);
      } catch (IOException | RuntimeException e) {
        throw new IOException("layer " + member.name() + " is corrupt or hostile: " + e.getMessage(), e);
      }
      Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
      try {
        Files.move(scratch, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException raced) {
        return dir; // another JVM unpacked the same layer first; theirs is as good as ours
      } catch (java.nio.file.DirectoryNotEmptyException raced) {
        return dir;
      }
      unpackedSinceTrim = true;
      LayerLeases.markUsed(dir);
      writeSize(dir, size);
      return dir;
    } finally {
      Files.deleteIfExists(copy);
      if (Files.exists(scratch, LinkOption.NOFOLLOW_LINKS)) {
        LayerUnpacker.deleteRecursively(scratch);
      }
    }
  }

  /** {@code in}, refusing to give more than {@code max} bytes or to read past the cap's deadline. */
  private static InputStream bounded(InputStream in, long max, LayerUnpacker.Cap cap, String name) {
    return new java.io.FilterInputStream(in) {
      private long read;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        cap.checkTime(name);
        int n = super.read(b, off, len);
        if (n > 0) {
          read += n;
          if (read > max) {
            throw new IOException("layer " + name + " holds more than " + max + " bytes, more than "
                + cap.name() + " allows for what it unpacks to");
          }
        }
        return n;
      }
    };
  }

  /** The first four bytes of a layer, from its file or its bytes. */
  private static byte[] magic(Path file, byte[] bytes) throws IOException {
    if (file != null) {
      try (InputStream in = Files.newInputStream(file)) {
        return in.readNBytes(4);
      }
    }
    return java.util.Arrays.copyOf(bytes, Math.min(4, bytes.length));
  }

  /** The sha256 of everything {@code in} holds, hex; closes it. */
  private static String sha256(InputStream in) throws IOException {
    try (in) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Leases {@code layerDirs} for an isolate until the returned handle is closed: while it is open no JVM's trim
   * removes them.
   *
   * @throws IOException when a layer was trimmed (by another JVM) since it was prepared: prepare again
   */
  public AutoCloseable lease(List<Path> layerDirs) throws IOException {
    LayerLeases.Lease lease = leases.acquire(layerDirs);
    for (Path dir : layerDirs) {
      if (!Files.isDirectory(dir)) {
        lease.close();
        images.invalidateAll();
        layers.invalidateAll();
        throw new IOException("layer " + dir.getFileName() + " was removed from the cache meanwhile");
      }
    }
    return lease;
  }

  /**
   * Removes the least recently used layers until the cache holds at most {@code maxBytes}, keeping {@code keep} and
   * every layer an isolate of any JVM uses. Returns the bytes removed.
   */
  synchronized long trim(long maxBytes, Set<Path> keep) throws IOException {
    Path layersDir = root.resolve("layers");
    if (!Files.isDirectory(layersDir)) {
      return 0;
    }
    sweepLeftovers();
    record Entry(Path dir, long size, long lastUse) {}
    List<Entry> entries = new ArrayList<>();
    long total = 0;
    try (var listing = Files.list(layersDir)) {
      for (Path dir : (Iterable<Path>) listing::iterator) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          continue; // lock, used and size files
        }
        try {
          long size = recordedSize(dir);
          Path used = LayerLeases.usedFile(dir);
          long lastUse = Math.max(Files.getLastModifiedTime(dir).toMillis(),
              Files.exists(used) ? Files.getLastModifiedTime(used).toMillis() : 0);
          entries.add(new Entry(dir, size, lastUse));
          total += size;
        } catch (NoSuchFileException removedMeanwhile) {
          // another JVM trimmed it while we looked
        }
      }
    }
    long recent = System.currentTimeMillis() - RECENT_USE_MILLIS;
    entries.sort(Comparator.comparingLong(Entry::lastUse));
    long removed = 0;
    for (Entry e : entries) {
      if (total - removed <= maxBytes) {
        break;
      }
      if (keep.contains(e.dir()) || e.lastUse() > recent) {
        continue; // the image being prepared, or one prepared a moment ago that an isolate is about to lease
      }
      // renamed while the layer is known unused, deleted afterwards: a JVM that finds the name gone unpacks the
      // layer again instead of using half of it
      Path trash = Files.createDirectories(root.resolve("tmp")).resolve("trim-" + UUID.randomUUID());
      boolean moved;
      try {
        moved = leases.removeIfUnused(e.dir(), () -> {
          Files.move(e.dir(), trash, StandardCopyOption.ATOMIC_MOVE);
          Files.deleteIfExists(sizeFile(e.dir()));
        });
      } catch (NoSuchFileException removedMeanwhile) {
        continue;
      }
      if (moved) {
        LayerUnpacker.deleteRecursively(trash);
        removed += e.size();
      }
    }
    if (removed > 0) {
      images.invalidateAll();
      layers.invalidateAll();
    }
    return removed;
  }

  /** How long a layer counts as in use after it was prepared, though no isolate has leased it yet. */
  static final long RECENT_USE_MILLIS = 60_000;

  /**
   * Removes what interrupted work left in {@code tmp/}: trimmed layers not yet deleted (a JVM died while deleting)
   * and unpack or read scratch directories older than an hour.
   */
  private void sweepLeftovers() {
    Path tmp = root.resolve("tmp");
    if (!Files.isDirectory(tmp)) {
      return;
    }
    long stale = System.currentTimeMillis() - 3_600_000;
    try (var listing = Files.list(tmp)) {
      for (Path p : (Iterable<Path>) listing::iterator) {
        String name = p.getFileName().toString();
        try {
          if (name.startsWith("trim-") || Files.getLastModifiedTime(p).toMillis() < stale) {
            LayerUnpacker.deleteRecursively(p);
          }
        } catch (IOException | RuntimeException e) {
          // another JVM's, in use or gone: next time
        }
      }
    } catch (IOException e) {
      // nothing to sweep
    }
  }

  /** Records a layer's size; best-effort (a layer without a record is measured when trimming). */
  private static void writeSize(Path layerDir, long size) {
    try {
      io.isolate.spi.HostFiles.writeAtomically(sizeFile(layerDir),
          Long.toString(size).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    } catch (IOException e) {
      // measured again when needed
    }
  }

  private static Path sizeFile(Path layerDir) {
    return layerDir.resolveSibling(layerDir.getFileName() + ".size");
  }

  /** A layer's size as recorded when it was unpacked; measured (and recorded) for layers without a record. */
  private static long recordedSize(Path dir) throws IOException {
    Path file = sizeFile(dir);
    try {
      return Long.parseLong(Files.readString(file).trim());
    } catch (NoSuchFileException | NumberFormatException e) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new NoSuchFileException(dir.toString());
      }
      long size = treeSize(dir);
      writeSize(dir, size);
      return size;
    }
  }

  /**
   * A layer's size measured as unpacking counts it ({@link LayerUnpacker#unpack}): the bytes of its regular files
   * and 512 for each entry below {@code dir}; what cannot be read (a directory without r) counts 0.
   */
  private static long treeSize(Path dir) throws IOException {
    long[] total = {0};
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
        total[0] += d.equals(dir) ? 0 : 512;
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        total[0] += 512 + (attrs.isRegularFile() ? attrs.size() : 0);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        return FileVisitResult.CONTINUE;
      }
    });
    return total[0];
  }

}
