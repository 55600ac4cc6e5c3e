package io.isolate.wasm.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isolate.conformance.HostilePaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Fuzzes what a guest hands a live mount: paths and link targets of its choosing, through every operation Chicory's
 * WASI makes (read, write, mkdir, symlink, rename, hard link, delete, list), over the conformance kit's hostile
 * tree. Whatever it does, nothing it reads is a host file outside the mount, and nothing appears outside it. What it
 * creates is named {@code fz-...}, so an escape would show as such a name beside the mount, in {@code /},
 * {@code /etc} or {@code /tmp}; what it moves or deletes is named so too, so a broken resolver could never move or
 * remove a host file of value. Any exception but an {@link IOException} (which a guest gets as an errno) is a finding.
 */
class ConfinedFileSystemFuzzTest {
  private static final String PREFIX = "fz-";
  /** What a guest made (and may move or delete): only such names, so a broken resolver moves no host file of value. */
  private static final String[] NAMES = {"file", "dir", "link", "moved", "hard"};
  private static HostilePaths.Layout layout;
  private static ConfinedFileSystem fs;
  private static byte[] secret;
  private static byte[] hostPasswd;

  private static synchronized void setUp() throws IOException {
    if (fs != null) {
      return;
    }
    Path dir = Files.createTempDirectory("isolate-fuzz-mount");
    layout = HostilePaths.plant(dir);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try (Stream<Path> walk = Files.walk(dir)) { // walk does not follow links
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | UncheckedIOException e) {
        // a temporary directory left behind
      }
    }));
    fs = ConfinedFileSystem.open(layout.root(), false, Map.of("given/file", "given".getBytes(StandardCharsets.UTF_8)));
    secret = Files.readAllBytes(layout.outside().resolve("secret"));
    hostPasswd = Files.readAllBytes(Path.of("/etc/passwd"));
  }

  @FuzzTest
  void aGuestsPathsNeverLeaveTheMount(FuzzedDataProvider data) throws IOException {
    setUp();
    int steps = data.consumeInt(1, 8);
    for (int i = 0; i < steps && data.remainingBytes() > 0; i++) {
      int op = data.consumeInt(0, 7);
      String path = data.consumeString(80);
      String other = data.consumeString(80);
      try {
        switch (op) {
          case 0 -> {
            byte[] read = Files.readAllBytes(fs.getPath(path));
            assertFalse(java.util.Arrays.equals(read, secret), path + " read the host's secret");
            assertFalse(java.util.Arrays.equals(read, hostPasswd), path + " read the host's /etc/passwd");
          }
          case 1 -> Files.write(fs.getPath(path, PREFIX + "file"), "fuzz".getBytes(StandardCharsets.UTF_8));
          case 2 -> Files.createDirectory(fs.getPath(path, PREFIX + "dir"));
          case 3 -> ConfinedFileSystem.createGuestSymlink(fs.getPath(path, PREFIX + "link"), other);
          case 4 -> Files.move(fs.getPath(path, PREFIX + NAMES[data.consumeInt(0, NAMES.length - 1)]),
              fs.getPath(other, PREFIX + "moved"));
          case 5 -> Files.createLink(fs.getPath(other, PREFIX + "hard"), fs.getPath(path));
          case 6 -> {
            Path victim = fs.getPath(path, PREFIX + other.replace('/', '_'));
            Files.delete(victim);
          }
          default -> {
            try (Stream<Path> list = Files.list(fs.getPath(path))) {
              list.limit(100).forEach(p -> { });
            }
          }
        }
      } catch (IOException | java.nio.file.InvalidPathException refused) {
        // what a guest gets as an errno
      } catch (UncheckedIOException refused) {
        // a listing that failed midway: an errno too
      }
    }
    assertArrayEquals(secret, Files.readAllBytes(layout.outside().resolve("secret")), "the host's secret changed");
    for (Path place : List.of(layout.outside(), layout.outside().getParent(), layout.outside().resolve("victim"),
        Path.of("/"), Path.of("/etc"), Path.of("/tmp"))) {
      try (Stream<Path> list = Files.list(place)) {
        list.forEach(p -> assertFalse(p.getFileName().toString().startsWith(PREFIX),
            "a guest's " + p + " appeared outside the mount"));
      }
    }
  }
}
