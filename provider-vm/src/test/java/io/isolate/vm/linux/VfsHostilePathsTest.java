package io.isolate.vm.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.conformance.HostilePaths;
import io.isolate.vm.kvm.Errno;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HARDWARE level's guest file system against the conformance kit's hostile-path suite, through the calls its
 * system calls make ({@link Vfs#resolve}, {@link Vfs#open}, then the open file's reads and writes). Plain Java: it
 * needs no KVM.
 */
class VfsHostilePathsTest {
  @TempDir Path dir;

  @Test
  void theHostilePathSuitePasses() throws IOException {
    HostilePaths.Layout layout = HostilePaths.plant(dir);
    Vfs vfs = new Vfs(List.of(new Vfs.MountPoint("/", layout.root(), true, null)));
    HostilePaths.check(layout, new HostilePaths.GuestFiles() {
      @Override
      public byte[] read(String guestPath) {
        OpenFile f = vfs.open(vfs.resolve("/", guestPath, true), 0);
        try {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          ByteBuffer buf = ByteBuffer.allocate(4096);
          long n;
          while ((n = f.read(buf.clear())) > 0) {
            out.write(buf.array(), 0, (int) n);
          }
          if (n < 0) {
            throw new LinuxError((int) -n);
          }
          return out.toByteArray();
        } finally {
          f.release();
        }
      }

      @Override
      public void write(String guestPath, byte[] content) {
        OpenFile f = vfs.open(vfs.resolve("/", guestPath, true), Vfs.O_WRONLY | Vfs.O_CREAT | Vfs.O_TRUNC);
        try {
          long n = f.write(ByteBuffer.wrap(content));
          if (n != content.length) {
            throw new LinuxError(n < 0 ? (int) -n : Errno.EIO);
          }
        } finally {
          f.release();
        }
      }
    });
  }

  /**
   * The working directory is resolved again each time, never trusted: a directory the guest went into that has become
   * a link since (renamed away, a link put in its place) does not lead the host anywhere.
   */
  @Test
  void aWorkingDirectoryReplacedByALinkIsResolvedAgain() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.createDirectories(root.resolve("d/etc"));
    Files.createSymbolicLink(root.resolve("up"), Path.of("/"));
    Vfs vfs = new Vfs(List.of(new Vfs.MountPoint("/", root, true, null)));
    String cwd = vfs.resolve("/", "d/etc", true).guestPath();
    Files.move(root.resolve("d"), root.resolve("d2"));
    Files.move(root.resolve("up"), root.resolve("d"));
    // the old walk trusted the directory: the host then followed d -> / and read its /etc/hostname
    assertEquals(Errno.ENOENT, assertThrows(LinuxError.class, () -> vfs.resolve(cwd, "hostname", true)).errno,
        "the tree has no /etc/hostname: d now leads to the tree's root");
  }

  @Test
  void aTrailingSlashAsksForADirectoryAsLinuxSays() throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Files.writeString(root.resolve("file"), "f");
    Vfs vfs = new Vfs(List.of(new Vfs.MountPoint("/data", root, true, null)));
    assertEquals(Errno.ENOTDIR, assertThrows(LinuxError.class, () -> vfs.resolve("/", "/data/file/", true)).errno);
    assertEquals(Vfs.Kind.HOST, vfs.resolve("/data", "file", true).kind());
    assertEquals(Vfs.Kind.SYNTHETIC_DIRECTORY, vfs.resolve("/data", "..", true).kind());
    assertEquals(Errno.ENOENT, assertThrows(LinuxError.class, () -> vfs.resolve("/", "", true)).errno);
    assertEquals(Vfs.Kind.HOST, vfs.resolve("/", "/data/new/", true).kind(), "mkdir new/ may make it");
    Files.createDirectory(root.resolve("dir"));
    Files.createSymbolicLink(root.resolve("link"), Path.of("dir"));
    assertTrue(vfs.resolve("/", "/data/link/", false).symlink(), "rmdir link/ sees the link, not its target");
  }
}
