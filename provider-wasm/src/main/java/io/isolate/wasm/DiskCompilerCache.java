package io.isolate.wasm;

import com.dylibso.chicory.compiler.Cache;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Chicory's compiled classes kept in a directory, so that a fresh JVM (the command line, a one-shot run) loads
 * a module's classes instead of compiling them again: switched on with the system property
 * {@code isolate.wasm.compilerCacheDir}. Entries live under a subdirectory per Chicory version, named by a hash of
 * Chicory's key (the module's digest), written to a temporary file and moved into place, so that concurrent JVMs
 * never read half an entry.
 *
 * <p>The directory holds code this JVM will load and run: it must be writable only by the user running it, as
 * for any class path entry. A corrupt or unreadable entry is treated as missing.
 */
final class DiskCompilerCache implements Cache {
  private final Path dir;

  DiskCompilerCache(Path dir, String chicoryVersion) {
    this.dir = dir.resolve("chicory-" + chicoryVersion);
  }

  /**
   * The cache named by {@link WasmSettings#compilerCacheDir()}, or null when it is not set.
   *
   * @throws IllegalStateException when the directory can be written by other users: classes loaded from it run
   *     with the application's rights
   */
  static DiskCompilerCache fromSettings(WasmSettings settings, String chicoryVersion) {
    if (settings.compilerCacheDir().isEmpty()) {
      return null;
    }
    Path path = settings.compilerCacheDir().get();
    try {
      if (!Files.exists(path)) {
        Files.createDirectories(path);
        trySetOwnerOnly(path);
      }
      var perms = Files.getPosixFilePermissions(path);
      if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
        throw new IllegalStateException(WasmSettings.COMPILER_CACHE_DIR + " " + path + " is writable by other users ("
            + PosixFilePermissions.toString(perms) + "); it holds code this JVM runs: chmod go-w it");
      }
    } catch (UnsupportedOperationException e) {
      // no POSIX permissions here (Windows): trust the directory's ACLs
    } catch (IOException e) {
      throw new IllegalStateException(WasmSettings.COMPILER_CACHE_DIR + " " + path + " is unusable: " + e.getMessage(), e);
    }
    return new DiskCompilerCache(path, chicoryVersion);
  }

  private static void trySetOwnerOnly(Path path) throws IOException {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
  }

  private Path entry(String key) {
    return dir.resolve(ModuleCache.sha256(key.getBytes(StandardCharsets.UTF_8)) + ".classes");
  }

  @Override
  public byte[] get(String key) {
    try {
      return Files.readAllBytes(entry(key));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void putIfAbsent(String key, byte[] data) throws IOException {
    Path target = entry(key);
    if (Files.exists(target)) {
      return;
    }
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "entry", ".tmp");
    try {
      Files.write(tmp, data);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
