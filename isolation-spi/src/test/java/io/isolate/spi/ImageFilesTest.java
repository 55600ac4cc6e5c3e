package io.isolate.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
  @TempDir
  Path dir;

  @Test
  void opensAndReadsARegularFile() throws Exception {
    Path image = Files.write(dir.resolve("a.img"), new byte[] {1, 2, 3});
    try (FileChannel c = ImageFiles.open(image)) {
      assertEquals(3, c.size());
    }
    assertArrayEquals(new byte[] {1, 2, 3}, ImageFiles.readAll(image, 3));
  }

  @Test
  void refusesLinksDirectoriesAndDevices() throws Exception {
    Path image = Files.write(dir.resolve("a.img"), new byte[8]);
    Path link = Files.createSymbolicLink(dir.resolve("link.img"), image);
    for (Path p : new Path[] {link, dir, Path.of("/dev/zero")}) {
      IOException e = assertThrows(IOException.class, () -> ImageFiles.open(p));
      assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }
  }

  @Test
  void readsNoMoreThanTheCap() throws Exception {
    Path image = Files.write(dir.resolve("big.img"), new byte[4097]);
    IOException e = assertThrows(IOException.class, () -> ImageFiles.readAll(image, 4096));
    assertTrue(e.getMessage().contains("holds more than"), e.getMessage());
  }
}
