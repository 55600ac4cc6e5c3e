package io.isolate.wasm.files;

import java.net.URI;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A path as the guest wrote it, in a {@link ConfinedFileSystem}: '/'-separated names, absolute when it starts at the
 * mount's root. It is only text: nothing about it is looked up until the file system resolves it for an operation,
 * and then one component at a time ({@code ..} and links included), so no lexical step here can change where it
 * leads. {@code .} and {@code ..} stay as written unless {@link #normalize()} is asked for.
 */
final class GuestPath implements Path {
  private final ConfinedFileSystem fs;
  private final boolean absolute;
  private final List<String> names;

  GuestPath(ConfinedFileSystem fs, boolean absolute, List<String> names) {
    this.fs = fs;
    this.absolute = absolute;
    this.names = List.copyOf(names);
  }

  static GuestPath parse(ConfinedFileSystem fs, String text) {
    if (text.indexOf('\0') >= 0) {
      throw new java.nio.file.InvalidPathException(text, "a path cannot hold NUL");
    }
    List<String> names = new ArrayList<>();
    for (String n : text.split("/")) {
      if (!n.isEmpty()) {
        names.add(n);
      }
    }
    return new GuestPath(fs, text.startsWith("/"), names);
  }

  List<String> names() {
    return names;
  }

  @Override
  public ConfinedFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return absolute;
  }

  @Override
  public Path getRoot() {
    return absolute ? fs.root() : null;
  }

  @Override
  public Path getFileName() {
    return names.isEmpty() ? null : new GuestPath(fs, false, List.of(names.get(names.size() - 1)));
  }

  @Override
  public Path getParent() {
    if (names.isEmpty() || (names.size() == 1 && !absolute)) {
      return null;
    }
    return new GuestPath(fs, absolute, names.subList(0, names.size() - 1));
  }

  @Override
  public int getNameCount() {
    return names.size();
  }

  @Override
  public Path getName(int index) {
    return new GuestPath(fs, false, List.of(names.get(index)));
  }

  @Override
  public Path subpath(int beginIndex, int endIndex) {
    if (beginIndex < 0 || endIndex > names.size() || beginIndex >= endIndex) {
      throw new IllegalArgumentException("subpath(" + beginIndex + ", " + endIndex + ") of " + this);
    }
    return new GuestPath(fs, false, names.subList(beginIndex, endIndex));
  }

  @Override
  public boolean startsWith(Path other) {
    GuestPath o = mine(other);
    return o.absolute == absolute && o.names.size() <= names.size()
        && names.subList(0, o.names.size()).equals(o.names);
  }

  @Override
  public boolean endsWith(Path other) {
    GuestPath o = mine(other);
    if (o.absolute) {
      return equals(o);
    }
    return o.names.size() <= names.size() && names.subList(names.size() - o.names.size(), names.size()).equals(o.names);
  }

  /** Lexical: {@code .} dropped and {@code a/..} removed; a leading {@code ..} of an absolute path dropped. */
  @Override
  public Path normalize() {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (n.equals(".")) {
        continue;
      }
      if (n.equals("..") && !out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
        out.remove(out.size() - 1);
      } else if (!(n.equals("..") && absolute)) {
        out.add(n);
      }
    }
    return new GuestPath(fs, absolute, out);
  }

  @Override
  public Path resolve(Path other) {
    GuestPath o = mine(other);
    if (o.absolute) {
      return o;
    }
    List<String> joined = new ArrayList<>(names);
    joined.addAll(o.names);
    return new GuestPath(fs, absolute, joined);
  }

  @Override
  public Path relativize(Path other) {
    GuestPath o = mine(other);
    if (o.absolute != absolute) {
      throw new IllegalArgumentException("cannot relativize " + other + " against " + this);
    }
    int common = 0;
    while (common < names.size() && common < o.names.size() && names.get(common).equals(o.names.get(common))) {
      common++;
    }
    List<String> out = new ArrayList<>();
    for (int i = common; i < names.size(); i++) {
      out.add("..");
    }
    out.addAll(o.names.subList(common, o.names.size()));
    return new GuestPath(fs, false, out);
  }

  @Override
  public URI toUri() {
    throw new UnsupportedOperationException("a guest path has no URI");
  }

  @Override
  public Path toAbsolutePath() {
    return absolute ? this : fs.root().resolve(this);
  }

  @Override
  public Path toRealPath(LinkOption... options) throws java.io.IOException {
    return fs.provider().realPath(this, options);
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
    throw new UnsupportedOperationException("a guest file system cannot be watched");
  }

  @Override
  public int compareTo(Path other) {
    return toString().compareTo(mine(other).toString());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GuestPath p && p.fs == fs && p.absolute == absolute && p.names.equals(names);
  }

  @Override
  public int hashCode() {
    return Objects.hash(System.identityHashCode(fs), absolute, names);
  }

  @Override
  public String toString() {
    String joined = String.join("/", names);
    return absolute ? "/" + joined : joined;
  }

  private GuestPath mine(Path other) {
    if (!(other instanceof GuestPath p) || p.fs != fs) {
      throw new ProviderMismatchException("not a path of this guest file system: " + other);
    }
    return p;
  }
}
