package io.isolate.wasm.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.conformance.HostilePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PROCESS level's live mounts: the conformance kit's hostile-path suite over a {@link ConfinedFileSystem}, and
 * the file system's own rules (read-only, guest links, the overlay, what {@code readSymbolicLink} answers).
 */
class ConfinedFileSystemTest {
  @TempDir Path dir;

  @Test
  void theHostilePathSuitePasses() throws IOException {
    HostilePaths.Layout layout = HostilePaths.plant(dir);
    try (ConfinedFileSystem fs = ConfinedFileSystem.open(layout.root(), false, Map.of())) {
      HostilePaths.check(layout, new HostilePaths.GuestFiles() {
        @Override
        public byte[] read(String guestPath) throws IOException {
          return Files.readAllBytes(fs.getPath(guestPath));
        }

        @Override
        public void write(String guestPath, byte[] content) throws IOException {
          Files.write(fs.getPath(guestPath), content);
        }
      });
    }
  }

  @Test
  void aReadOnlyFileSystemRefusesEveryChange() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.writeString(root.resolve("f"), "kept");
    try (ConfinedFileSystem fs = ConfinedFileSystem.open(root, true, Map.of())) {
      Path f = fs.getPath("/f");
      assertEquals("kept", Files.readString(f));
      assertThrows(AccessDeniedException.class, () -> Files.writeString(f, "x"));
      assertThrows(AccessDeniedException.class, () -> Files.delete(f));
      assertThrows(AccessDeniedException.class, () -> Files.createDirectory(fs.getPath("/d")));
      assertThrows(AccessDeniedException.class, () -> Files.move(f, fs.getPath("/g")));
      assertThrows(AccessDeniedException.class, () -> Files.createLink(fs.getPath("/h"), f));
      assertThrows(AccessDeniedException.class, () -> Files.setLastModifiedTime(f,
          java.nio.file.attribute.FileTime.fromMillis(0)));
    }
    assertEquals(List.of("f"), list(root));
    assertEquals("kept", Files.readString(root.resolve("f")));
  }

  @Test
  void aGuestsLinksAreStoredAsWrittenAndMustStayInside() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.createDirectories(root.resolve("a/b"));
    Files.writeString(root.resolve("a/t"), "target");
    try (ConfinedFileSystem fs = ConfinedFileSystem.open(root, false, Map.of())) {
      ConfinedFileSystem.createGuestSymlink(fs.getPath("/a/b/l"), "../t");
      assertEquals("../t", ConfinedFileSystem.readLinkText(fs.getPath("/a/b/l")));
      assertEquals(Path.of("../t"), Files.readSymbolicLink(root.resolve("a/b/l")), "on the host as written");
      // a path that resolves as the link does, for callers following links by hand
      assertEquals("/a/b/../t", Files.readSymbolicLink(fs.getPath("/a/b/l")).toString());
      assertEquals("target", Files.readString(fs.getPath("/a/b/l")));
      for (String target : List.of("/etc", "../../../x", "b/../../..", "")) {
        assertThrows(IOException.class, () -> ConfinedFileSystem.createGuestSymlink(fs.getPath("/a/m"), target),
            target);
      }
      assertFalse(Files.exists(root.resolve("a/m"), LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void filesGivenByTheApplicationAreAReadOnlyOverlayThatNeverReachesTheHost() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.writeString(root.resolve("host.txt"), "the host's");
    Files.writeString(root.resolve("shadowed.txt"), "the host's");
    Map<String, byte[]> given = Map.of("shadowed.txt", bytes("given"), "conf/app/settings", bytes("given too"));
    try (ConfinedFileSystem fs = ConfinedFileSystem.open(root, false, given)) {
      assertEquals("given", Files.readString(fs.getPath("/shadowed.txt")));
      assertEquals("given too", Files.readString(fs.getPath("/conf/app/settings")));
      assertTrue(Files.isDirectory(fs.getPath("/conf/app")));
      try (Stream<Path> list = Files.list(fs.getPath("/"))) {
        assertEquals(List.of("conf", "host.txt", "shadowed.txt"),
            list.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()));
      }
      assertThrows(AccessDeniedException.class, () -> Files.writeString(fs.getPath("/shadowed.txt"), "x"));
      assertThrows(AccessDeniedException.class, () -> Files.delete(fs.getPath("/shadowed.txt")));
      assertThrows(AccessDeniedException.class, () -> Files.writeString(fs.getPath("/conf/new"), "x"));
      Files.writeString(fs.getPath("/host.txt"), "changed");
    }
    assertEquals("changed", Files.readString(root.resolve("host.txt")));
    assertEquals("the host's", Files.readString(root.resolve("shadowed.txt")));
    assertEquals(List.of("host.txt", "shadowed.txt"), list(root));
  }

  @Test
  void belowAnOverlayDirectoryOnlyTheOverlayIsAskedEvenWhereTheHostHasALink() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.createDirectories(root.resolve("p"));
    // what a writer of the directory could have left where the overlay shows a directory: a link leading up and out
    Files.createSymbolicLink(root.resolve("p/d"), Path.of("../.."));
    try (ConfinedFileSystem fs = ConfinedFileSystem.open(root, false, Map.of("p/d/cfg", bytes("given")))) {
      assertEquals("given", Files.readString(fs.getPath("/p/d/cfg")));
      assertThrows(IOException.class, () -> Files.readString(fs.getPath("/p/d/etc/hostname")));
      assertThrows(IOException.class, () -> Files.writeString(fs.getPath("/p/d/escaped"), "x"));
      assertThrows(IOException.class, () -> Files.list(fs.getPath("/p/d/etc")).close());
      assertThrows(IOException.class, () -> Files.delete(fs.getPath("/p")), "p holds a given file");
      assertThrows(IOException.class, () -> Files.move(fs.getPath("/p"), fs.getPath("/q")));
    }
    assertFalse(Files.exists(dir.resolve("escaped")));
  }

  @Test
  void aGuestsLinkCannotBeMovedWhereItWouldLeadOutNorBeMadeThroughAnotherLink() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.createDirectories(root.resolve("a/b/c/d/e"));
    Files.createDirectories(root.resolve("s/b"));
    try (ConfinedFileSystem fs = ConfinedFileSystem.open(root, false, Map.of())) {
      ConfinedFileSystem.createGuestSymlink(fs.getPath("/a/b/c/d/e/l"), "../../../../../s");
      assertThrows(AccessDeniedException.class, () -> Files.move(fs.getPath("/a/b/c/d/e/l"), fs.getPath("/l")));
      assertThrows(AccessDeniedException.class, () -> Files.createLink(fs.getPath("/l"), fs.getPath("/a/b/c/d/e/l")));
      assertThrows(AccessDeniedException.class, () -> Files.move(fs.getPath("/a/b/c/d/e"), fs.getPath("/e")),
          "a directory holding it, moved up");
      Files.move(fs.getPath("/a/b/c/d/e"), fs.getPath("/a/b/c/d/e2")); // the same depth
      Files.createDirectories(root.resolve("a/b/c/d/x/y"));
      Files.move(fs.getPath("/a/b/c/d/e2"), fs.getPath("/a/b/c/d/x/y/e3")); // deeper: still inside
      // a link the host would follow through another: s/b leads up, so s/b/.. is not where it says
      Files.delete(root.resolve("s/b"));
      ConfinedFileSystem.createGuestSymlink(fs.getPath("/s/b"), "..");
      assertThrows(AccessDeniedException.class, () -> ConfinedFileSystem.createGuestSymlink(fs.getPath("/c1"),
          "s/b/.."));
    }
    assertFalse(Files.exists(root.resolve("l"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(root.resolve("e"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aGuestHoldsAtMostSoManyHostFilesOpen() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.writeString(root.resolve("f"), "f");
    List<java.nio.channels.FileChannel> open = new java.util.ArrayList<>();
    try (ConfinedFileSystem fs = ConfinedFileSystem.open(root, false, Map.of())) {
      for (int i = 0; i < ConfinedFileSystem.MAX_OPEN_FILES; i++) {
        open.add(java.nio.channels.FileChannel.open(fs.getPath("/f")));
      }
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> java.nio.channels.FileChannel.open(fs.getPath("/f")));
      assertEquals("Too many open files", e.getReason());
      open.remove(0).close();
      open.add(java.nio.channels.FileChannel.open(fs.getPath("/f")));
    } finally {
      for (java.nio.channels.FileChannel c : open) {
        c.close();
      }
    }
  }

  /**
   * A link's own times are set by the JDK to the microsecond; the nanoseconds a guest set are remembered for at most
   * 4,096 links, so a guest setting the times of more links costs no more memory: beyond, the host's value answers.
   */
  @Test
  void theNanosecondsOfLinkTimesAreRememberedForAtMostSoManyLinks() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    java.nio.file.attribute.FileTime exact = java.nio.file.attribute.FileTime.from(
        java.time.Instant.ofEpochSecond(1_700_000_000L, 123_456_789L));
    try (ConfinedFileSystem fs = ConfinedFileSystem.open(root, false, Map.of())) {
      for (int i = 0; i <= 4096; i++) {
        Path link = fs.getPath("/l" + i);
        ConfinedFileSystem.createGuestSymlink(link, "t");
        Files.getFileAttributeView(link, java.nio.file.attribute.BasicFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS).setTimes(exact, null, null);
      }
      assertEquals(exact, Files.readAttributes(fs.getPath("/l0"), "unix:*", LinkOption.NOFOLLOW_LINKS)
          .get("lastModifiedTime"), "remembered");
      Object beyond = Files.readAttributes(fs.getPath("/l4096"), "unix:*", LinkOption.NOFOLLOW_LINKS)
          .get("lastModifiedTime");
      assertEquals(java.nio.file.attribute.FileTime.from(java.time.Instant.ofEpochSecond(1_700_000_000L, 123_456_000L)),
          beyond, "the host's microseconds");
    }
  }

  @Test
  void failuresCarryTheReasonTheGuestsErrnoIsMadeOf() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.writeString(root.resolve("file"), "f");
    try (ConfinedFileSystem fs = ConfinedFileSystem.open(root, false, Map.of())) {
      HostFailures.clear();
      assertThrows(NoSuchFileException.class, () -> Files.readString(fs.getPath("/missing")));
      assertTrue(HostFailures.take() != null, "a refusal is recorded");
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> Files.readString(fs.getPath("/file/below")));
      assertEquals("Not a directory", e.getReason());
      assertEquals("Not a directory", HostFailures.take());
      assertEquals(null, HostFailures.take(), "taken once");
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }
}
