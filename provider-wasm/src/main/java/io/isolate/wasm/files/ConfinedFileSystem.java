package io.isolate.wasm.files;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A host directory as a guest sees it, live: reads and writes go straight to the host's files, with no copy and no
 * size cap beyond the host file system's own, and every path is resolved inside the directory one component at a
 * time by {@link io.isolate.spi.ConfinedPaths} ({@code ..} clamped at the root, a guest's symbolic links followed as
 * guest paths, no host link ever followed by the host). The JDK's file operations then act on the resolved host path
 * with {@code NOFOLLOW_LINKS}. So every {@link java.nio.file.Files} call on a {@link Path} of this file system stays
 * inside the directory, whatever the path says and whatever links the directory holds; Chicory's WASI, which works
 * only through {@code Path} and {@code Files}, is given such paths.
 *
 * <p>Rules beyond resolution:
 * <ul>
 *   <li>A read-only file system refuses every change ({@code AccessDeniedException} with "Read-only file system").
 *   <li>Only regular files and directories are opened: a FIFO or a device planted in the directory is refused
 *       (a FIFO would hang the guest's thread).
 *   <li>A symbolic link the guest creates must be relative, stay inside the directory when read as written from its
 *       own directory, and not lead through another link ({@link #createGuestSymlink}); a link (or a directory holding
 *       links) cannot be moved or hard-linked to where it would lead out. A host program that follows a guest's link
 *       lands inside, unless later changes combine links into one that leads up; this file system never follows a
 *       link out whatever it says.
 *   <li>At most {@link #MAX_OPEN_FILES} host files are open through it at once (each is a descriptor of the JVM's).
 *   <li>Files the application gives by content ({@code Mount.file}) at paths inside the directory are an overlay:
 *       served read-only in front of the host's files, their parent directories shown even where the host has
 *       none, never written to the host.
 * </ul>
 *
 * <p>Concurrency: each operation resolves and then acts, as the JDK's path-based calls must, and the kernel walks the
 * host path again. A concurrent writer of the same host directory (another isolate sharing it read-write, a host
 * process) that swaps a checked directory for a link between the two steps can redirect that one operation, out of
 * the directory too through a link that leads up. Give a read-write directory only to writers you trust: two isolates
 * of one untrusted plugin should not share one. (Closing this race needs {@code openat2} with
 * {@code RESOLVE_BENEATH}, which the JDK does not offer.)
 */
public final class ConfinedFileSystem extends FileSystem {
  private final ConfinedProvider provider;
  private final Path hostRoot;
  private final boolean readOnly;
  private final FileSystem overlay;
  private final GuestPath root;
  private volatile boolean open = true;
  /** Host files a guest may hold open at once through this file system (each is a descriptor of the JVM's). */
  public static final int MAX_OPEN_FILES = 1024;
  private final java.util.concurrent.Semaphore openFiles = new java.util.concurrent.Semaphore(MAX_OPEN_FILES);

  private ConfinedFileSystem(Path hostRoot, boolean readOnly, FileSystem overlay) {
    this.hostRoot = hostRoot;
    this.readOnly = readOnly;
    this.overlay = overlay;
    this.root = new GuestPath(this, true, List.of());
    this.provider = new ConfinedProvider(this);
  }

  /**
   * The directory {@code hostDirectory} (resolved once, by the host: the application chose it) as a guest's file
   * system, with {@code files} (paths relative to the directory, '/'-separated, to their content) served read-only
   * in front of it.
   *
   * @throws IOException when {@code hostDirectory} is not a directory
   */
  public static ConfinedFileSystem open(Path hostDirectory, boolean readOnly, Map<String, byte[]> files)
      throws IOException {
    Path real = hostDirectory.toRealPath();
    if (!Files.isDirectory(real)) {
      throw new java.nio.file.NotDirectoryException(hostDirectory.toString());
    }
    FileSystem overlay = null;
    if (!files.isEmpty()) {
      overlay = Jimfs.newFileSystem(Configuration.unix().toBuilder().setWorkingDirectory("/")
          .setAttributeViews("basic", "owner", "posix", "unix").build());
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        Path target = overlay.getPath("/").resolve(f.getKey());
        Files.createDirectories(target.getParent());
        Files.write(target, f.getValue());
      }
    }
    return new ConfinedFileSystem(real, readOnly, overlay);
  }

  /** The root of the guest's view: the host directory. */
  public Path root() {
    return root;
  }

  /** Whether {@code path} belongs to a file system of this kind. */
  public static boolean isConfined(Path path) {
    return path instanceof GuestPath;
  }

  /** The host directory this file system shows (its real path). */
  public Path hostRoot() {
    return hostRoot;
  }

  /**
   * The target of the symbolic link {@code link} exactly as stored: what {@code readlink} tells a guest.
   * ({@link java.nio.file.Files#readSymbolicLink} instead answers a path that resolves as the link does, so that a
   * caller following links by hand, as Chicory does, follows a relative one from the link's own directory.)
   */
  public static String readLinkText(Path link) throws IOException {
    GuestPath p = (GuestPath) link;
    return p.getFileSystem().provider.readLinkText(p);
  }

  /**
   * Creates the symbolic link {@code link} to {@code target}, stored as written, after checking that the target is
   * relative and stays inside this file system when read from the link's directory.
   *
   * @throws java.nio.file.AccessDeniedException when it is absolute or climbs out
   */
  public static void createGuestSymlink(Path link, String target) throws IOException {
    GuestPath p = (GuestPath) link;
    p.getFileSystem().provider.createSymlink(p, target);
  }

  java.util.concurrent.Semaphore openFiles() {
    return openFiles;
  }

  boolean readOnlyFs() {
    return readOnly;
  }

  FileSystem overlay() {
    return overlay;
  }

  @Override
  public ConfinedProvider provider() {
    return provider;
  }

  @Override
  public void close() throws IOException {
    open = false;
    if (overlay != null) {
      overlay.close();
    }
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public boolean isReadOnly() {
    return readOnly;
  }

  @Override
  public String getSeparator() {
    return "/";
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    return List.of(root);
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    try {
      return List.of(Files.getFileStore(hostRoot));
    } catch (IOException e) {
      return List.of();
    }
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return Set.of("basic", "posix", "unix");
  }

  @Override
  public Path getPath(String first, String... more) {
    StringBuilder text = new StringBuilder(first);
    for (String m : more) {
      if (!m.isEmpty()) {
        text.append('/').append(m);
      }
    }
    return GuestPath.parse(this, text.toString());
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    throw new UnsupportedOperationException("no path matchers in a guest file system");
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    throw new UnsupportedOperationException("no user lookup in a guest file system");
  }

  @Override
  public java.nio.file.WatchService newWatchService() {
    throw new UnsupportedOperationException("a guest file system cannot be watched");
  }

  /** For {@link FileSystemProvider#getFileSystem}: not reachable by URI. */
  static UnsupportedOperationException noUri() {
    return new UnsupportedOperationException("a guest file system is not reachable by URI");
  }
}
