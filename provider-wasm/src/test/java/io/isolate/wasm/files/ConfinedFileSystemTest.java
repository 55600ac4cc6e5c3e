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
