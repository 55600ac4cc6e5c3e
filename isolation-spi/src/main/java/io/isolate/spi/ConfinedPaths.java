package io.isolate.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves a guest's path inside the only tree the guest may see, one component at a time: {@code ..} never climbs
 * above the tree's root, and a symbolic link is followed as a guest path (its target read, an absolute one starting
 * again at the root, a relative one from the link's directory), never by the host. What comes out is a list of
 * components none of which but possibly the last is a link, so the host path it names (root plus components) stays
 * under the root. This is the one resolver of the levels that give guests host directories (PROCESS mounts, the
 * HARDWARE level's file system), with one test suite of hostile paths.
 *
 * <p>The tree is asked about each component before the next is resolved. A tree over a host directory
 * ({@link #hostTree}) asks the host at that moment: a concurrent writer of the same directory (another isolate sharing
 * it read-write, a host process) can swap a checked directory for a link before it is used, and such writers must be
 * excluded by who gets the directory, not by this class.
 */
public final class ConfinedPaths {
  /** Links followed in one resolution before it fails, as Linux's limit. */
  public static final int MAX_LINKS = 40;
  /** The longest path, in bytes, and the longest component, as Linux's limits. */
  public static final int MAX_PATH = 4095;
  public static final int MAX_NAME = 255;

  /** What a component is, seen without following it. */
  public enum Kind { DIRECTORY, FILE, SYMLINK, OTHER, MISSING }

  /** A tree a guest sees. */
  public interface Tree {
    /** What {@code components} (from the root; empty for the root) name, a final link not followed. */
    Kind kind(List<String> components) throws IOException;

    /** The target of the link {@code components} name. */
    String readLink(List<String> components) throws IOException;
  }

  /** Why a path does not resolve, with the errno a guest gets for it. */
  public static final class ResolveException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The reasons, each with Linux's errno. */
    public enum Reason {
      NOT_FOUND(2),
      NOT_A_DIRECTORY(20),
      TOO_MANY_LINKS(40),
      NAME_TOO_LONG(36),
      INVALID(22);

      /** Linux's errno number for the reason. */
      public final int errno;

      Reason(int errno) {
        this.errno = errno;
      }
    }

    private final Reason reason;

    ResolveException(Reason reason, String path) {
      super(reason + ": " + path, null);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }

  /**
   * Where a path led: its components from the root and what the last one is. A last component that does not exist
   * ({@link Kind#MISSING}) is a name that can be created: its parent exists and is a directory.
   */
  public record Resolved(List<String> components, Kind kind) {
    /** The components joined with '/' after a leading '/': the guest's canonical path. */
    public String path() {
      return "/" + String.join("/", components);
    }
  }

  private ConfinedPaths() {}

  /**
   * Resolves {@code path}, relative to {@code cwd} (components from the root, resolved again like the path's own)
   * unless it starts with '/'. A final link is followed when {@code followLast}; a path ending in '/' (or "/." or
   * "/..") must name a directory.
   *
   * @throws ResolveException when a component is missing or not a directory, there are more than
   *     {@value #MAX_LINKS} links, a name or the path is too long, or the path is empty or holds NUL
   * @throws IOException when the tree cannot be read
   */
  public static Resolved resolve(Tree tree, List<String> cwd, String path, boolean followLast) throws IOException {
    if (path.isEmpty()) {
      throw new ResolveException(ResolveException.Reason.NOT_FOUND, path);
    }
    if (path.indexOf('\0') >= 0) {
      throw new ResolveException(ResolveException.Reason.INVALID, path);
    }
    if (path.length() > MAX_PATH) {
      throw new ResolveException(ResolveException.Reason.NAME_TOO_LONG, path.substring(0, 64) + "...");
    }
    boolean mustBeDirectory = path.endsWith("/") || path.endsWith("/.") || path.endsWith("/..")
        || path.equals(".") || path.equals("..");
    // A relative path starts at the root too, with the working directory's names before it: they are resolved again
    // each time, never trusted, since a directory of them may have become a link since the guest went there.
    List<String> cur = new ArrayList<>();
    Deque<String> pending = new ArrayDeque<>();
    push(pending, path);
    if (!path.startsWith("/")) {
      for (int i = cwd.size() - 1; i >= 0; i--) {
        pending.addFirst(cwd.get(i));
      }
    }
    int links = 0;
    Kind kind = tree.kind(cur);
    while (!pending.isEmpty()) {
      String c = pending.pollFirst();
      if (kind != Kind.DIRECTORY) {
        throw new ResolveException(kind == Kind.MISSING ? ResolveException.Reason.NOT_FOUND
            : ResolveException.Reason.NOT_A_DIRECTORY, path);
      }
      if (c.equals("..")) {
        if (!cur.isEmpty()) {
          cur.remove(cur.size() - 1);
        }
        kind = tree.kind(cur);
        continue;
      }
      if (c.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME) {
        throw new ResolveException(ResolveException.Reason.NAME_TOO_LONG, path);
      }
      cur.add(c);
      kind = tree.kind(cur);
      boolean last = pending.isEmpty();
      if (kind == Kind.SYMLINK && (!last || followLast)) {
        if (++links > MAX_LINKS) {
          throw new ResolveException(ResolveException.Reason.TOO_MANY_LINKS, path);
        }
        String target = tree.readLink(cur);
        cur.remove(cur.size() - 1);
        if (target.isEmpty()) {
          throw new ResolveException(ResolveException.Reason.NOT_FOUND, path);
        }
        if (target.startsWith("/")) {
          cur.clear();
        }
        push(pending, target);
        if (target.endsWith("/") && pending.isEmpty()) {
          mustBeDirectory = true;
        }
        kind = tree.kind(cur);
      }
    }
    // "name/" must be a directory: a file there is not; a missing name may still be made one (mkdir "new/"), and a
    // final link kept unfollowed is the caller's to judge (rmdir "link/" is ENOTDIR, not the removal of its target)
    if (mustBeDirectory && (kind == Kind.FILE || kind == Kind.OTHER)) {
      throw new ResolveException(ResolveException.Reason.NOT_A_DIRECTORY, path);
    }
    return new Resolved(List.copyOf(cur), kind);
  }

  private static void push(Deque<String> pending, String path) {
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      if (!parts[i].isEmpty() && !parts[i].equals(".")) {
        pending.addFirst(parts[i]);
      }
    }
  }

  /**
   * The tree of a host directory: each question answered by the host at that moment, without following links.
   * {@code root} itself is trusted (the application chose it).
   */
  public static Tree hostTree(Path root) {
    return new Tree() {
      @Override
      public Kind kind(List<String> components) throws IOException {
        try {
          BasicFileAttributes a = Files.readAttributes(host(root, components), BasicFileAttributes.class,
              LinkOption.NOFOLLOW_LINKS);
          return a.isSymbolicLink() ? Kind.SYMLINK : a.isDirectory() ? Kind.DIRECTORY
              : a.isRegularFile() ? Kind.FILE : Kind.OTHER;
        } catch (NoSuchFileException e) {
          return Kind.MISSING;
        } catch (java.nio.file.FileSystemException e) {
          if ("Not a directory".equals(e.getReason())) {
            return Kind.MISSING; // what is asked for cannot exist there
          }
          throw e; // the host refused to look (EACCES, a name too long for it): the guest is told so
        } catch (java.nio.file.InvalidPathException e) {
          return Kind.MISSING; // a name the JVM cannot make a host path of (a non-UTF-8 locale): no such file
        }
      }

      @Override
      public String readLink(List<String> components) throws IOException {
        return Files.readSymbolicLink(host(root, components)).toString();
      }
    };
  }

  /** The host path of resolved components under {@code root}. */
  public static Path host(Path root, List<String> components) {
    Path p = root;
    for (String c : components) {
      p = p.resolve(c);
    }
    return p;
  }
}
