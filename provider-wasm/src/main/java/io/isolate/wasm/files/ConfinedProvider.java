package io.isolate.wasm.files;

import io.isolate.spi.ConfinedPaths;
import io.isolate.spi.ConfinedPaths.Kind;
import io.isolate.spi.ConfinedPaths.ResolveException;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operations of one {@link ConfinedFileSystem}: each resolves its guest path with {@link ConfinedPaths} and acts
 * on the host path that names, never following a final link there ({@code NOFOLLOW_LINKS}), or on the overlay of
 * application-given files. Every failure is recorded for the guest's errno ({@link HostFailures}).
 */
final class ConfinedProvider extends FileSystemProvider {
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
  /** Links whose exact times are remembered at most: a guest setting the times of millions keeps only these. */
  private static final int MAX_LINK_TIMES = 4096;

  private final ConfinedFileSystem fs;
  private final ConfinedPaths.Tree hostTree;
  private final ConfinedPaths.Tree tree;

  ConfinedProvider(ConfinedFileSystem fs) {
    this.fs = fs;
    this.hostTree = ConfinedPaths.hostTree(fs.hostRoot());
    this.tree = fs.overlay() == null ? hostTree : new ConfinedPaths.Tree() {
      @Override
      public Kind kind(List<String> components) throws IOException {
        if (inOverlay(components)) {
          // at or below a place the overlay holds where the host has no directory: the overlay's alone, so that
          // nothing below it is ever looked up on the host (where a link may sit under an overlay directory)
          Path o = overlayPath(components);
          return Files.isRegularFile(o, NOFOLLOW) ? Kind.FILE
              : Files.isDirectory(o, NOFOLLOW) ? Kind.DIRECTORY : Kind.MISSING;
        }
        return hostTree.kind(components);
      }

      @Override
      public String readLink(List<String> components) throws IOException {
        return hostTree.readLink(components);
      }
    };
  }

  /** Where a guest path led. */
  private record Target(List<String> components, Kind kind, boolean overlay) {}

  private Target resolve(Path path, boolean followLast) throws IOException {
    GuestPath p = (GuestPath) path;
    String text = p.toString();
    try {
      ConfinedPaths.Resolved r = ConfinedPaths.resolve(tree, List.of(), text.isEmpty() ? "." : text, followLast);
      ConfinedPaths.host(fs.hostRoot(), r.components()); // a name this JVM cannot make a host path of fails here
      return new Target(r.components(), r.kind(), inOverlay(r.components()));
    } catch (java.nio.file.InvalidPathException e) {
      throw HostFailures.record(new FileSystemException(text, null, "Invalid argument"));
    } catch (ResolveException e) {
      throw HostFailures.record(switch (e.reason()) {
        case NOT_FOUND -> new NoSuchFileException(text);
        case NOT_A_DIRECTORY -> new FileSystemException(text, null, "Not a directory");
        case TOO_MANY_LINKS -> new FileSystemException(text, null, "Too many levels of symbolic links");
        case NAME_TOO_LONG -> new FileSystemException(text, null, "File name too long");
        case INVALID -> new FileSystemException(text, null, "Invalid argument");
      });
    } catch (IOException e) {
      throw HostFailures.record(e); // the host refused a look (a directory it may not read) or a link's reading
    }
  }

  /**
   * Whether {@code components}, or a directory above them, is the overlay's alone: the overlay has a file there, or a
   * directory where the host has none (a file, a link, nothing). Everything at or below such a place is answered by
   * the overlay only.
   */
  private boolean inOverlay(List<String> components) throws IOException {
    if (fs.overlay() == null) {
      return false;
    }
    for (int i = 1; i <= components.size(); i++) {
      List<String> prefix = components.subList(0, i);
      Path o = overlayPath(prefix);
      if (Files.isRegularFile(o, NOFOLLOW)) {
        return true;
      }
      if (!Files.isDirectory(o, NOFOLLOW)) {
        return false; // the overlay has nothing here: neither here nor below
      }
      if (hostTree.kind(prefix) != Kind.DIRECTORY) {
        return true;
      }
    }
    return false;
  }

  /** Whether the overlay has anything at {@code components} (a directory of the host holding overlay files too). */
  private boolean overlayHas(List<String> components) {
    return fs.overlay() != null && !components.isEmpty() && Files.exists(overlayPath(components), NOFOLLOW);
  }

  private Path overlayPath(List<String> components) {
    Path p = fs.overlay().getPath("/");
    for (String c : components) {
      p = p.resolve(c);
    }
    return p;
  }

  private Path host(Target t) {
    return ConfinedPaths.host(fs.hostRoot(), t.components());
  }

  /** The target of a change: refused on a read-only file system, in the overlay, or under a directory it shows. */
  private Target resolveForChange(Path path, boolean followLast) throws IOException {
    if (fs.readOnlyFs()) {
      throw HostFailures.record(new AccessDeniedException(path.toString(), null, "Read-only file system"));
    }
    Target t = resolve(path, followLast);
    List<String> c = t.components();
    if (t.overlay() || !c.isEmpty() && inOverlay(c.subList(0, c.size() - 1))) {
      throw HostFailures.record(new AccessDeniedException(path.toString(), null,
          "a file the application gave is read-only"));
    }
    return t;
  }

  private static IOException missing(Path path) {
    return HostFailures.record(new NoSuchFileException(path.toString()));
  }

  private static <T> T host(IoCall<T> call) throws IOException {
    try {
      return call.run();
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  private interface IoCall<T> {
    T run() throws IOException;
  }

  // ---- files and directories ----

  @Override
  public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
      throws IOException {
    boolean changes = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND)
        || options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW)
        || options.contains(StandardOpenOption.TRUNCATE_EXISTING)
        || options.contains(StandardOpenOption.DELETE_ON_CLOSE);
    // O_CREAT|O_EXCL never follows a final link
    boolean follow = !options.contains(LinkOption.NOFOLLOW_LINKS) && !options.contains(StandardOpenOption.CREATE_NEW);
    Target t = changes ? resolveForChange(path, follow) : resolve(path, follow);
    Set<OpenOption> hostOptions = new HashSet<>(options);
    hostOptions.add(LinkOption.NOFOLLOW_LINKS);
    switch (t.kind()) {
      case MISSING -> {
        if (!options.contains(StandardOpenOption.CREATE) && !options.contains(StandardOpenOption.CREATE_NEW)) {
          throw missing(path);
        }
      }
      case SYMLINK -> throw HostFailures.record(options.contains(StandardOpenOption.CREATE_NEW)
          ? new FileAlreadyExistsException(path.toString())
          : new FileSystemException(path.toString(), null, "Too many levels of symbolic links"));
      case OTHER -> throw HostFailures.record(new AccessDeniedException(path.toString(), null,
          "only regular files and directories are served to a guest"));
      default -> { }
    }
    if (t.overlay()) {
      return host(() -> FileChannel.open(overlayPath(t.components()), StandardOpenOption.READ));
    }
    if (!fs.openFiles().tryAcquire()) {
      // each open file is a descriptor of the JVM's: a guest that never closes must not exhaust them for everyone
      throw HostFailures.record(new FileSystemException(path.toString(), null, "Too many open files"));
    }
    try {
      return new RecordingFileChannel(host(() -> FileChannel.open(host(t), hostOptions, attrs)), fs.openFiles());
    } catch (IOException | RuntimeException e) {
      fs.openFiles().release();
      throw e;
    }
  }

  @Override
  public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
      throws IOException {
    return newFileChannel(path, options, attrs);
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
      throws IOException {
    Target t = resolve(dir, true);
    if (t.kind() != Kind.DIRECTORY) {
      throw HostFailures.record(t.kind() == Kind.MISSING ? new NoSuchFileException(dir.toString())
          : new NotDirectoryException(dir.toString()));
    }
    Set<String> names = new LinkedHashSet<>();
    if (!t.overlay()) {
      try (DirectoryStream<Path> s = host(() -> Files.newDirectoryStream(host(t)))) {
        for (Path p : s) {
          names.add(p.getFileName().toString());
        }
      } catch (java.nio.file.DirectoryIteratorException e) {
        throw HostFailures.record(e.getCause());
      }
    }
    if (fs.overlay() != null && Files.isDirectory(overlayPath(t.components()), NOFOLLOW)) {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(overlayPath(t.components()))) {
        for (Path p : s) {
          names.add(p.getFileName().toString());
        }
      }
    }
    List<Path> entries = new ArrayList<>(names.size());
    for (String n : names) {
      Path entry = dir.resolve(n);
      if (filter.accept(entry)) {
        entries.add(entry);
      }
    }
    return new DirectoryStream<>() {
      private boolean iterated;

      @Override
      public Iterator<Path> iterator() {
        if (iterated) {
          throw new IllegalStateException("a directory stream is iterated once");
        }
        iterated = true;
        return entries.iterator();
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    Target t = resolveForChange(dir, false);
    if (t.kind() != Kind.MISSING) {
      throw HostFailures.record(new FileAlreadyExistsException(dir.toString()));
    }
    host(() -> Files.createDirectory(host(t), attrs));
  }

  @Override
  public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
    createSymlink((GuestPath) link, target.toString());
  }

  void createSymlink(GuestPath link, String target) throws IOException {
    Target t = resolveForChange(link, false);
    if (t.kind() != Kind.MISSING) {
      throw HostFailures.record(new FileAlreadyExistsException(link.toString()));
    }
    if (target.isEmpty() || target.startsWith("/") || target.indexOf('\0') >= 0) {
      throw HostFailures.record(new AccessDeniedException(link.toString(), target,
          "a guest's symbolic link must be relative"));
    }
    List<String> dir = t.components().subList(0, t.components().size() - 1);
    if (!staysInside(dir.size(), target)) {
      throw HostFailures.record(new AccessDeniedException(link.toString(), target,
          "a guest's symbolic link must stay inside its mount"));
    }
    // Through a link, the host would climb from wherever that link leads: a target may not pass one.
    List<String> walked = new ArrayList<>(dir);
    for (String c : target.split("/")) {
      if (c.equals("..")) {
        walked.remove(walked.size() - 1); // staysInside: never above the root
      } else if (!c.isEmpty() && !c.equals(".")) {
        walked.add(c);
        if (hostTree.kind(walked) == Kind.SYMLINK) {
          throw HostFailures.record(new AccessDeniedException(link.toString(), target,
              "a guest's symbolic link may not lead through another link"));
        }
      }
    }
    host(() -> Files.createSymbolicLink(host(t), fs.hostRoot().getFileSystem().getPath(target)));
  }

  /** Whether {@code target}, read as written from a directory {@code depth} names below the root, stays inside. */
  private static boolean staysInside(int depth, String target) {
    for (String c : target.split("/")) {
      if (c.equals("..")) {
        depth--;
      } else if (!c.isEmpty() && !c.equals(".")) {
        depth++;
      }
      if (depth < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Refuses to put {@code source} (a link, or a directory holding links) where a link of it would climb out of the
   * mount: a link that stays inside from its own directory may not from a shallower one. Deeper is always fine.
   */
  private void checkLinksStayInside(Target source, List<String> newDir, Path shown) throws IOException {
    int newDepth = newDir.size();
    int oldDepth = source.components().size() - 1;
    if (source.kind() == Kind.SYMLINK) {
      if (!staysInside(newDepth, hostTree.readLink(source.components()))) {
        throw HostFailures.record(new AccessDeniedException(shown.toString(), null,
            "a symbolic link there would lead out of the mount"));
      }
    } else if (source.kind() == Kind.DIRECTORY && newDepth < oldDepth) {
      Path top = host(source);
      int[] seen = {0};
      try (java.util.stream.Stream<Path> walk = Files.walk(top)) { // walk does not follow links
        for (Path p : (Iterable<Path>) walk::iterator) {
          if (++seen[0] > 100_000) {
            throw HostFailures.record(new AccessDeniedException(shown.toString(), null,
                "a directory of more than 100,000 entries is not moved up"));
          }
          if (Files.isSymbolicLink(p)) {
            int depth = newDepth + top.relativize(p).getNameCount(); // the link's own directory, once moved
            if (!staysInside(depth, Files.readSymbolicLink(p).toString())) {
              throw HostFailures.record(new AccessDeniedException(shown.toString(), null,
                  "a symbolic link in it would lead out of the mount from there"));
            }
          }
        }
      } catch (java.io.UncheckedIOException e) {
        throw HostFailures.record(e.getCause());
      }
    }
  }

  @Override
  public void createLink(Path link, Path existing) throws IOException {
    Target from = resolveForChange(existing, false);
    if (from.kind() == Kind.MISSING) {
      throw missing(existing);
    }
    Target t = resolveForChange(link, false);
    if (t.kind() != Kind.MISSING) {
      throw HostFailures.record(new FileAlreadyExistsException(link.toString()));
    }
    checkLinksStayInside(from, t.components().subList(0, t.components().size() - 1), link);
    host(() -> Files.createLink(host(t), host(from))); // link(2): a symbolic link is linked itself
  }

  @Override
  public void delete(Path path) throws IOException {
    Target t = resolveForChange(path, false);
    if (t.kind() == Kind.MISSING) {
      throw missing(path);
    }
    if (t.components().isEmpty()) {
      throw HostFailures.record(new AccessDeniedException(path.toString(), null, "the mount's root stays"));
    }
    if (overlayHas(t.components())) {
      throw HostFailures.record(new AccessDeniedException(path.toString(), null,
          "it holds files the application gave"));
    }
    host(() -> {
      Files.delete(host(t));
      return null;
    });
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    Target from = resolve(source, !Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS));
    Target to = resolveForChange(target, false);
    if (from.kind() == Kind.MISSING) {
      throw missing(source);
    }
    Path src = from.overlay() ? overlayPath(from.components()) : host(from);
    List<CopyOption> hostOptions = new ArrayList<>(Arrays.asList(options));
    hostOptions.add(LinkOption.NOFOLLOW_LINKS);
    if (from.overlay()) {
      host(() -> {
        try (var in = Files.newInputStream(src)) {
          return Files.copy(in, host(to));
        }
      });
    } else {
      host(() -> Files.copy(src, host(to), hostOptions.toArray(CopyOption[]::new)));
    }
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    Target from = resolveForChange(source, false);
    if (from.kind() == Kind.MISSING) {
      throw missing(source);
    }
    Target to = resolveForChange(target, false);
    if (from.components().isEmpty() || to.components().isEmpty()) {
      throw HostFailures.record(new AccessDeniedException(source.toString(), target.toString(),
          "the mount's root stays"));
    }
    if (overlayHas(from.components()) || overlayHas(to.components())) {
      throw HostFailures.record(new AccessDeniedException(source.toString(), target.toString(),
          "it holds files the application gave"));
    }
    checkLinksStayInside(from, to.components().subList(0, to.components().size() - 1), source);
    try {
      // rename(2): atomic, replacing what the new name held (the JDK moves nothing else atomically)
      Files.move(host(from), host(to), StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw HostFailures.record(new FileSystemException(source.toString(), target.toString(),
          "Invalid cross-device link"));
    } catch (IOException e) {
      throw HostFailures.record(e);
    }
  }

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    if (path.equals(path2)) {
      return true;
    }
    if (!(path2 instanceof GuestPath) || path2.getFileSystem() != fs) {
      return false;
    }
    Target a = resolve(path, true);
    Target b = resolve(path2, true);
    return a.components().equals(b.components()) && a.overlay() == b.overlay();
  }

  @Override
  public boolean isHidden(Path path) {
    Path name = path.getFileName();
    return name != null && name.toString().startsWith(".");
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    return host(() -> Files.getFileStore(fs.hostRoot()));
  }

  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    Target t = resolve(path, true);
    if (t.kind() == Kind.MISSING) {
      throw missing(path);
    }
    boolean writes = Arrays.asList(modes).contains(AccessMode.WRITE);
    if (writes && (fs.readOnlyFs() || t.overlay())) {
      throw HostFailures.record(new AccessDeniedException(path.toString(), null, "Read-only file system"));
    }
    if (!t.overlay()) {
      Path h = host(t);
      host(() -> {
        h.getFileSystem().provider().checkAccess(h, modes);
        return null;
      });
    }
  }

  // ---- attributes ----

  private static boolean follows(LinkOption... options) {
    return !Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
  }

  private Path existing(Path path, LinkOption... options) throws IOException {
    Target t = resolve(path, follows(options));
    if (t.kind() == Kind.MISSING) {
      throw missing(path);
    }
    return t.overlay() ? overlayPath(t.components()) : host(t);
  }

  @Override
  public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
      throws IOException {
    Path p = existing(path, options);
    return host(() -> Files.readAttributes(p, type, NOFOLLOW));
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    Path p = existing(path, options);
    Map<String, Object> read = host(() -> Files.readAttributes(p, attributes, NOFOLLOW));
    LinkTimes asked = Boolean.TRUE.equals(read.get("isSymbolicLink")) ? linkTimes.get(read.get("fileKey")) : null;
    if (asked != null && asked.stillHeld(read)) {
      Map<String, Object> exact = new HashMap<>(read);
      exact.put("lastModifiedTime", asked.modified);
      exact.put("lastAccessTime", asked.accessed);
      return exact;
    }
    return read;
  }

  /**
   * The times a guest set on a symbolic link, to the nanosecond, and what the host kept. The JDK sets a link's own
   * times with {@code lutimes}, to the microsecond; the nanoseconds are answered from here for as long as the host
   * still holds what was set (nothing else changed the link since).
   */
  private record LinkTimes(FileTime modified, FileTime accessed, Object hostModified, Object hostAccessed) {
    boolean stillHeld(Map<String, Object> read) {
      return hostModified.equals(read.get("lastModifiedTime")) && hostAccessed.equals(read.get("lastAccessTime"));
    }
  }

  private final Map<Object, LinkTimes> linkTimes = new ConcurrentHashMap<>();

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
    Target t = resolveForChange(path, follows(options));
    if (t.kind() == Kind.MISSING) {
      throw missing(path);
    }
    host(() -> Files.setAttribute(host(t), attribute, value, NOFOLLOW));
  }

  @Override
  @SuppressWarnings("unchecked")
  public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
    if (type != BasicFileAttributeView.class) {
      return null;
    }
    return (V) new BasicFileAttributeView() {
      @Override
      public String name() {
        return "basic";
      }

      @Override
      public BasicFileAttributes readAttributes() throws IOException {
        return ConfinedProvider.this.readAttributes(path, BasicFileAttributes.class, options);
      }

      @Override
      public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
          throws IOException {
        Target t = resolveForChange(path, follows(options));
        if (t.kind() == Kind.MISSING) {
          throw missing(path);
        }
        Path h = host(t);
        host(() -> {
          Files.getFileAttributeView(h, BasicFileAttributeView.class, NOFOLLOW)
              .setTimes(lastModifiedTime, lastAccessTime, createTime);
          return null;
        });
        if (t.kind() == Kind.SYMLINK && linkTimes.size() < MAX_LINK_TIMES) {
          BasicFileAttributes now = host(() -> Files.readAttributes(h, BasicFileAttributes.class, NOFOLLOW));
          linkTimes.put(now.fileKey(), new LinkTimes(
              lastModifiedTime == null ? now.lastModifiedTime() : lastModifiedTime,
              lastAccessTime == null ? now.lastAccessTime() : lastAccessTime,
              now.lastModifiedTime(), now.lastAccessTime()));
        }
      }
    };
  }

  // ---- links ----

  /** A path that resolves as the link does: a relative target taken from the link's own directory. */
  @Override
  public Path readSymbolicLink(Path link) throws IOException {
    Target t = resolve(link, false);
    String text = linkText(link, t);
    if (text.startsWith("/")) {
      return fs.getPath(text);
    }
    List<String> dir = t.components().subList(0, t.components().size() - 1);
    return fs.getPath("/" + String.join("/", dir) + "/" + text);
  }

  String readLinkText(GuestPath link) throws IOException {
    return linkText(link, resolve(link, false));
  }

  private String linkText(Path link, Target t) throws IOException {
    if (t.kind() == Kind.MISSING) {
      throw missing(link);
    }
    if (t.kind() != Kind.SYMLINK) {
      throw HostFailures.record(new NotLinkException(link.toString()));
    }
    return hostTree.readLink(t.components());
  }

  Path realPath(GuestPath path, LinkOption... options) throws IOException {
    Target t = resolve(path, follows(options));
    if (t.kind() == Kind.MISSING) {
      throw missing(path);
    }
    return new GuestPath(fs, true, t.components());
  }

  // ---- not offered ----

  @Override
  public String getScheme() {
    return "isolate-guest";
  }

  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
    throw ConfinedFileSystem.noUri();
  }

  @Override
  public FileSystem getFileSystem(URI uri) {
    throw ConfinedFileSystem.noUri();
  }

  @Override
  public Path getPath(URI uri) {
    throw ConfinedFileSystem.noUri();
  }
}
