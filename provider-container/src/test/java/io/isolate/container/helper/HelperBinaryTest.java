package io.isolate.container.helper;

import io.isolate.container.ContainerSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Extraction of the helper the jar carries: content-hashed name, private directory, reuse. */
class HelperBinaryTest {
  @Test
  void theJarCarriesTheHelperAndExtractsItUnderAContentHashedName() throws IOException {
    Path helper = HelperBinary.path();
    byte[] resource;
    try (var in = HelperBinary.class.getClassLoader().getResourceAsStream(HelperBinary.RESOURCE)) {
      resource = in.readAllBytes();
    }
    assertEquals("isolate-helper-" + HelperBinary.sha256(resource).substring(0, 16), helper.getFileName().toString());
    assertTrue(Files.isExecutable(helper));
    assertEquals("r-x------", PosixFilePermissions.toString(Files.getPosixFilePermissions(helper)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(helper.getParent())));
  }

  @Test
  void theHelperIsLinkedStaticallySoItStartsWhateverTheHostsCLibrary() throws IOException {
    byte[] elf;
    try (var in = HelperBinary.class.getClassLoader().getResourceAsStream(HelperBinary.RESOURCE)) {
      elf = in.readAllBytes();
    }
    io.isolate.conformance.StaticExecutables.assertStatic(elf, "the helper");
  }

  @Test
  void reusesAnIntactCopyAndReplacesATamperedOne(@TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("x");
    byte[] bytes = "#!/bin/sh\n".getBytes();
    Path first = HelperBinary.extractTo(dir, "isolate-helper-test", bytes);
    assertEquals(first, HelperBinary.extractTo(dir, "isolate-helper-test", bytes));
    Files.setPosixFilePermissions(first, PosixFilePermissions.fromString("rwx------"));
    Files.writeString(first, "tampered");
    HelperBinary.extractTo(dir, "isolate-helper-test", bytes);
    assertEquals("#!/bin/sh\n", Files.readString(first));
  }

  @Test
  void refusesADirectoryOthersCanWrite(@TempDir Path tmp) throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("open"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    IOException e = assertThrows(IOException.class, () -> HelperBinary.extractTo(dir, "h", new byte[] {1}));
    assertTrue(e.getMessage().contains("writable by others"), e.getMessage());
  }

  @Test
  void namesANoexecMountInTheHint(@TempDir Path tmp) throws IOException {
    Path mountinfo = Files.writeString(tmp.resolve("mountinfo"),
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        + "40 27 0:30 / /tmp rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw\n");
    var mounts = MountInfo.read(mountinfo);
    assertTrue(HelperBinary.noexecHint(Path.of("/tmp/isolate-0"), mounts).contains("noexec mount: set -D"
        + ContainerSettings.HELPER_DIR), HelperBinary.noexecHint(Path.of("/tmp/isolate-0"), mounts));
    assertEquals("", HelperBinary.noexecHint(Path.of("/var/tmp"), mounts));
  }

  @Test
  void theConfiguredDirectoryComesFirst() {
    System.setProperty(ContainerSettings.HELPER_DIR, "/somewhere");
    try {
      assertEquals(Path.of("/somewhere"), HelperBinary.candidateDirectories().get(0));
    } finally {
      System.clearProperty(ContainerSettings.HELPER_DIR);
    }
  }
}
