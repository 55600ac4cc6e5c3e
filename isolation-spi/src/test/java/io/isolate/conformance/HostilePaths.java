package io.isolate.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The one suite of hostile guest paths, run against the file system of every level that gives guests host
 * directories (PROCESS's live mounts, the HARDWARE level's {@code Vfs}): a host directory whose links point
 * everywhere a guest would like them to (the host's root, {@code /etc}, above the directory, a host file outside,
 * loops, 40 random links), then fixed and 5,000 random reads and 500 random writes through them. Nothing read is
 * ever a host file outside the directory, every write lands inside it, and nothing outside it changes. A level
 * plugs in through {@link GuestFiles}, its guest's view with the directory mounted at {@code /}.
 */
public final class HostilePaths {
  private static final byte[] SECRET = "host secret outside the mount".getBytes(StandardCharsets.UTF_8);
  private static final String PROBE = "isolate-hostile-probe-";
  private static final String[] PARTS = {"..", ".", "dir", "sub", "file", "up", "to-host-root", "to-etc",
      "to-secret", "dir/sibling", "dangling", "loop-a", "etc", "passwd", "x", "to-outside-dir"};

  /** Names of directories (or links that lead to some): random paths of them mostly resolve. */
  private static final String[] DIRECTORY_PARTS = {"..", ".", "dir", "dir/sub", "up", "to-host-root", "to-etc",
      "etc", "to-outside-dir", "dir/r3", "dir/r7", "dir/r11", "dir/r19", "dir/r23", "dir/r31", "dir/r37", "loop-a"};

  /** A level's guest view of a host directory mounted at {@code /}; any exception means the guest was refused. */
  public interface GuestFiles {
    /** The content of the file at {@code guestPath}, links followed. */
    byte[] read(String guestPath) throws Exception;

    /** Creates the file at {@code guestPath} (links followed) holding {@code content}. */
    void write(String guestPath, byte[] content) throws Exception;
  }

  /** The planted tree: {@link #root} is what the guest gets; {@link #outside} holds it and the host's secret. */
  public record Layout(Path outside, Path root) {}

  private HostilePaths() {}

  /** Plants the hostile tree under {@code dir}. */
  public static Layout plant(Path dir) throws IOException {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Path root = Files.createDirectories(outside.resolve("root"));
    Files.write(outside.resolve("secret"), SECRET);
    Files.createDirectories(outside.resolve("victim"));
    Files.createDirectories(root.resolve("dir/sub"));
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("dir/file"), "inside");
    Files.writeString(root.resolve("etc/passwd"), "the tree's own passwd");
    Files.createSymbolicLink(root.resolve("to-host-root"), Path.of("/"));
    Files.createSymbolicLink(root.resolve("to-etc"), Path.of("/etc"));
    Files.createSymbolicLink(root.resolve("up"), Path.of("../../.."));
    Files.createSymbolicLink(root.resolve("to-secret"), outside.resolve("secret"));
    Files.createSymbolicLink(root.resolve("to-outside-dir"), outside.resolve("victim"));
    Files.createSymbolicLink(root.resolve("dir/sibling"), Path.of("../etc/passwd"));
    Files.createSymbolicLink(root.resolve("dir/absolute"), Path.of("/dir/file"));
    Files.createSymbolicLink(root.resolve("loop-a"), Path.of("loop-b"));
    Files.createSymbolicLink(root.resolve("loop-b"), Path.of("loop-a"));
    Files.createSymbolicLink(root.resolve("dangling"), Path.of("nowhere"));
    Files.createSymbolicLink(root.resolve("to-file"), Path.of("dir/file"));
    Random random = new Random(42);
    for (int i = 0; i < 40; i++) {
      Files.createSymbolicLink(root.resolve("dir/r" + i), Path.of(randomPath(random, PARTS)));
    }
    return new Layout(outside, root);
  }

  /** Runs the whole suite against {@code files}, a guest's view of {@code layout.root()}. */
  public static void check(Layout layout, GuestFiles files) throws IOException {
    Map<Path, Set<String>> watched = watched(layout);
    byte[] hostPasswd = Files.readAllBytes(Path.of("/etc/passwd"));

    // Links into the host resolve inside: "/etc" is the tree's etc, "/" its root.
    assertReads(files, "/to-etc/passwd", "the tree's own passwd");
    assertReads(files, "/to-host-root/etc/passwd", "the tree's own passwd");
    assertReads(files, "/up/up/dir/file", "inside");
    assertReads(files, "/dir/sibling", "the tree's own passwd");
    assertReads(files, "/dir/absolute", "inside");
    assertReads(files, "/dir/../../../../dir/file", "inside");
    assertReads(files, "/to-file", "inside");
    for (String refused : List.of("/to-secret", "/to-outside-dir/x", "/loop-a", "/dangling", "/dir/file/x",
        "/up/secret", "/../secret", "/../../etc/shadow")) {
      assertRefused(files, refused);
    }

    // Fixed and random reads: nothing read is the secret or the host's passwd.
    Set<String> treeContents = new HashSet<>(List.of("inside", "the tree's own passwd"));
    Random random = new Random(7);
    String[] names = names();
    int read = 0;
    String[] fileNames = {"file", "passwd", "etc/passwd", "dir/file", "to-file", "dir/sibling", "to-secret",
        "secret", "dir/absolute", "shadow"};
    for (int n = 0; n < 5000; n++) {
      // directories through links, then a file's name: most of them lead somewhere, and many read something
      String path = randomPath(random, DIRECTORY_PARTS) + "/" + fileNames[random.nextInt(fileNames.length)];
      byte[] content;
      try {
        content = files.read(path);
      } catch (Exception refused) {
        continue;
      }
      read++;
      assertTrue(!java.util.Arrays.equals(content, SECRET) && !java.util.Arrays.equals(content, hostPasswd),
          path + " read a host file outside the mount");
      assertTrue(treeContents.contains(new String(content, StandardCharsets.UTF_8)) || content.length == 0,
          path + " read something that is not in the tree: " + new String(content, StandardCharsets.UTF_8));
    }
    assertTrue(read > 100, "only " + read + " of 5000 random reads succeeded: the suite lost its teeth");

    // Writes through every link, each of a new name and a content of its own: where it succeeds, that content is
    // found in a file of the tree, and nowhere outside did anything appear.
    Map<String, String> written = new HashMap<>();
    int n = 0;
    for (String dir : List.of("/to-host-root/tmp", "/to-host-root/etc", "/to-etc", "/up", "/up/up", "/to-outside-dir",
        "/dir/..", "/..", "/dir/sub/../../..", "/dangling", "/to-secret")) {
      tryWrite(files, dir + "/" + PROBE + n, "fixed " + n, written);
      n++;
    }
    tryWrite(files, "/dangling", "through a dangling link", written);
    for (int i = 0; i < 500; i++, n++) {
      String dir = randomPath(random, random.nextInt(4) == 0 ? names : DIRECTORY_PARTS);
      tryWrite(files, (dir.startsWith("/") ? dir : "/" + dir) + "/" + PROBE + n, "random " + n, written);
    }
    assertTrue(written.size() > 50, "only " + written.size() + " writes succeeded: the suite lost its teeth");
    Map<String, Path> found = new HashMap<>();
    try (Stream<Path> walk = Files.walk(layout.root())) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          found.put(Files.readString(p), p);
        }
      }
    }
    for (Map.Entry<String, String> w : written.entrySet()) {
      assertTrue(found.containsKey(w.getValue()), w.getKey() + " was written, but not inside the mount");
    }
    assertArrayEquals(SECRET, Files.readAllBytes(layout.outside().resolve("secret")), "the host's secret changed");
    assertArrayEquals(hostPasswd, Files.readAllBytes(Path.of("/etc/passwd")), "the host's /etc/passwd changed");
    assertEquals(watched, watched(layout), "something appeared outside the mount");
  }

  private static void tryWrite(GuestFiles files, String path, String content, Map<String, String> written) {
    try {
      files.write(path, content.getBytes(StandardCharsets.UTF_8));
      written.put(path, content);
    } catch (Exception refused) {
      // refused is fine: the suite checks where the accepted ones went
    }
  }

  /** The host directories a write could escape to, with their probe entries. */
  private static Map<Path, Set<String>> watched(Layout layout) throws IOException {
    Map<Path, Set<String>> names = new HashMap<>();
    for (Path dir : List.of(Path.of("/"), Path.of("/etc"), Path.of("/tmp"), layout.outside(),
        layout.outside().resolve("victim"), layout.outside().getParent())) {
      Set<String> probes = new TreeSet<>();
      try (Stream<Path> list = Files.list(dir)) {
        list.map(p -> p.getFileName().toString())
            .filter(s -> s.startsWith(PROBE) || dir.startsWith(layout.outside().getParent()))
            .forEach(probes::add);
      }
      names.put(dir, probes);
    }
    return names;
  }

  private static void assertReads(GuestFiles files, String path, String expected) {
    try {
      assertEquals(expected, new String(files.read(path), StandardCharsets.UTF_8), path);
    } catch (Exception e) {
      fail(path + " should read the tree's own file: " + e);
    }
  }

  private static void assertRefused(GuestFiles files, String path) {
    try {
      byte[] content = files.read(path);
      fail(path + " should be refused, but read " + content.length + " bytes");
    } catch (Exception refused) {
      // as it should be
    }
  }

  private static String[] names() {
    List<String> names = new ArrayList<>(List.of(PARTS));
    for (int i = 0; i < 40; i++) {
      names.add("dir/r" + i);
    }
    return names.toArray(String[]::new);
  }

  private static String randomPath(Random random, String[] parts) {
    StringBuilder s = new StringBuilder(random.nextInt(4) == 0 ? "/" : "");
    int count = 1 + random.nextInt(5);
    for (int i = 0; i < count; i++) {
      s.append(i == 0 ? "" : "/").append(parts[random.nextInt(parts.length)]);
    }
    return s.toString();
  }
}
