package io.isolate.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.conformance.HostilePaths;
import io.isolate.spi.ConfinedPaths.Kind;
import io.isolate.spi.ConfinedPaths.ResolveException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile paths against the one resolver of guest paths, over a real host directory whose links point everywhere a
 * guest would like them to: the host's root, above the tree, into loops. Nothing resolves to a host path outside the
 * tree or through a host link, and each failure has Linux's errno.
 */
class ConfinedPathsTest {
  @TempDir Path outside;
  Path root;
  ConfinedPaths.Tree tree;

  @BeforeEach
  void tree() throws IOException {
    // the conformance kit's hostile tree: links to /, /etc, above the root, to a host file, loops, 40 random ones
    root = HostilePaths.plant(outside).root();
    tree = ConfinedPaths.hostTree(root);
  }

  private ConfinedPaths.Resolved resolve(String path) throws IOException {
    return ConfinedPaths.resolve(tree, List.of(), path, true);
  }

  private Reason refused(String path) {
    return assertThrows(ConfinedPaths.ResolveException.class, () -> resolve(path), path).reason();
  }

  @Test
  void dotDotStopsAtTheRoot() throws IOException {
    assertEquals("/dir/file", resolve("../../../dir/file").path());
    assertEquals("/", resolve("/..").path());
    assertEquals("/dir", resolve("dir/sub/../../../../dir").path());
  }

  @Test
  void absoluteLinksStartAgainAtTheTreesRoot() throws IOException {
    assertEquals("/", resolve("to-host-root").path());
    assertEquals("/etc", resolve("to-etc").path(), "the tree's own /etc, not the host's");
    assertEquals("/etc/passwd", resolve("to-etc/passwd").path());
    assertEquals(Kind.MISSING, resolve("to-etc/shadow").kind(), "a name the tree's /etc could hold, not the host's");
    assertEquals("/dir/file", resolve("dir/absolute").path());
    assertEquals(Reason.NOT_FOUND, refused("to-secret/x"));
    assertEquals(Reason.NOT_FOUND, refused("to-secret"), "a link to a host file outside names nothing inside");
  }

  @Test
  void relativeLinksResolveFromTheirDirectoryAndStayInside() throws IOException {
    assertEquals("/etc/passwd", resolve("dir/sibling").path());
    assertEquals("/", resolve("up").path());
    assertEquals("/dir/file", resolve("up/up/dir/file").path());
  }

  @Test
  void aFinalLinkIsKeptUnlessFollowed() throws IOException {
    ConfinedPaths.Resolved link = ConfinedPaths.resolve(tree, List.of(), "to-file", false);
    assertEquals("/to-file", link.path());
    assertEquals(Kind.SYMLINK, link.kind());
    assertEquals("/dir/file", resolve("to-file").path());
    assertEquals(Kind.FILE, resolve("to-file").kind());
  }

  @Test
  void failuresHaveLinuxsErrnos() {
    assertEquals(Reason.TOO_MANY_LINKS, refused("loop-a"));
    assertEquals(40, Reason.TOO_MANY_LINKS.errno);
    assertEquals(Reason.NOT_FOUND, refused("dangling/x"));
    assertEquals(Reason.NOT_A_DIRECTORY, refused("dir/file/x"));
    assertEquals(Reason.NOT_A_DIRECTORY, refused("dir/file/"));
    assertEquals(Reason.NOT_A_DIRECTORY, refused("dir/file/.."));
    assertEquals(Reason.NOT_A_DIRECTORY, refused("to-file/"));
    assertEquals(Reason.NOT_FOUND, refused("missing/x"));
    assertEquals(Reason.NOT_FOUND, refused(""));
    assertEquals(Reason.INVALID, refused("dir/\0/file"));
    assertEquals(Reason.NAME_TOO_LONG, refused("dir/" + "n".repeat(256)));
    assertEquals(Reason.NAME_TOO_LONG, refused("a/".repeat(2100)));
  }

  @Test
  void aMissingLastNameCanBeCreatedInAnExistingDirectory() throws IOException {
    ConfinedPaths.Resolved fresh = resolve("dir/sub/new-file");
    assertEquals(Kind.MISSING, fresh.kind());
    assertEquals("/dir/sub/new-file", fresh.path());
    assertEquals(Kind.MISSING, resolve("dangling").kind(), "a dangling link, followed, names what it would create");
    assertEquals("/nowhere", resolve("dangling").path());
  }

  @Test
  void aLinkChainOfFortyResolvesAndFortyOneDoesNot() throws IOException {
    for (int i = 1; i <= 41; i++) {
      Files.createSymbolicLink(root.resolve("chain" + i), Path.of(i == 1 ? "dir/file" : "chain" + (i - 1)));
    }
    assertEquals("/dir/file", resolve("chain40").path());
    assertEquals(Reason.TOO_MANY_LINKS, refused("chain41"));
  }

  /**
   * Random paths through random links, absolute and relative, up and down: whatever resolves names a host path
   * lexically under the root whose every component but the last is a real directory, never a link.
   */
  @Test
  void randomPathsThroughRandomLinksNeverLeaveTheTree() throws IOException {
    Random random = new Random(42);
    String[] parts = {"..", ".", "dir", "sub", "file", "up", "to-host-root", "to-etc", "to-secret", "dir/sibling",
        "dangling", "loop-a", "etc", "passwd", "x"};
    // the tree's 40 random links dir/r0 ... dir/r39
    List<String> names = new ArrayList<>(List.of(parts));
    for (int i = 0; i < 40; i++) {
      names.add("r" + i);
    }
    int resolved = 0;
    for (int n = 0; n < 5000; n++) {
      String path = randomPath(random, names.toArray(String[]::new));
      ConfinedPaths.Resolved r;
      try {
        r = ConfinedPaths.resolve(tree, List.of("dir"), path, random.nextBoolean());
      } catch (ConfinedPaths.ResolveException refused) {
        continue;
      }
      resolved++;
      Path host = ConfinedPaths.host(root, r.components()).normalize();
      assertTrue(host.startsWith(root), path + " -> " + host);
      Path p = root;
      for (int c = 0; c < r.components().size() - 1; c++) {
        p = p.resolve(r.components().get(c));
        assertTrue(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS), path + ": " + p + " is not a real directory");
      }
    }
    assertTrue(resolved > 500, "only " + resolved + " of 5000 random paths resolved: the test lost its teeth");
  }

  private static String randomPath(Random random, String[] parts) {
    StringBuilder s = new StringBuilder(random.nextInt(4) == 0 ? "/" : "");
    int n = 1 + random.nextInt(5);
    for (int i = 0; i < n; i++) {
      s.append(i == 0 ? "" : "/").append(parts[random.nextInt(parts.length)]);
    }
    return s.toString();
  }
}
