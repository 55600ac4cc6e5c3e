package io.isolate.container;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Map;
import java.util.TreeMap;

/**
 * Snapshots of host files for escape tests: everything an attack could change about every file under a directory
 * (type and mode, owner, size, device number, content, link target, user extended attributes), keyed by relative
 * path, so that a test compares the map before and after an attempt.
 */
public final class HostFiles {
  private HostFiles() {}

  /** The state of {@code root} and everything under it, links not followed. */
  public static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> state = new TreeMap<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        state.put(root.relativize(dir).toString(), describe(dir));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        state.put(root.relativize(file).toString(), describe(file));
        return FileVisitResult.CONTINUE;
      }
    });
    return state;
  }

  private static String describe(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,rdev", LinkOption.NOFOLLOW_LINKS);
    StringBuilder s = new StringBuilder(new TreeMap<>(a).toString());
    if (Files.isSymbolicLink(p)) {
      s.append(" -> ").append(Files.readSymbolicLink(p));
      return s.toString();
    }
    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      s.append(" content=").append(Files.readString(p, StandardCharsets.ISO_8859_1));
    }
    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      UserDefinedFileAttributeView xattrs = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS);
      if (xattrs != null) {
        for (String name : xattrs.list()) {
          ByteBuffer value = ByteBuffer.allocate(xattrs.size(name));
          xattrs.read(name, value);
          s.append(" xattr ").append(name).append('=')
              .append(new String(value.array(), StandardCharsets.ISO_8859_1));
        }
      }
    }
    return s.toString();
  }
}
