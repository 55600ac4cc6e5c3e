package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Modules are parsed and compiled once per content hash. */
class WasmModuleCacheTest {

  /** {@code module} with a custom section appended: the same code under a hash no other test uses. */
  static byte[] unique(byte[] module) {
    byte[] name = ("isolate-test-" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(module);
    out.write(0); // custom section
    out.write(1 + name.length); // size (fits one LEB128 byte)
    out.write(name.length);
    out.writeBytes(name);
    return out.toByteArray();
  }

  private static Isolate isolate(byte[] module) {
    return Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module)).build();
  }

  @Test
  void aSecondIsolateOfTheSameModuleNeitherParsesNorCompilesAgain() {
    ModuleCache cache = ModuleCache.shared();
    byte[] module = unique(Fixtures.wasm("hello"));
    long parses = cache.parses();
    long compilations = cache.compilations();
    try (Isolate first = isolate(module)) {
      assertTrue(first.run().isSuccess());
    }
    assertEquals(parses + 1, cache.parses());
    assertEquals(compilations + 1, cache.compilations());
    for (int i = 0; i < 3; i++) {
      try (Isolate again = isolate(module.clone())) {
        assertTrue(again.run().isSuccess());
      }
    }
    assertEquals(parses + 1, cache.parses(), "no parse for the same bytes");
    assertEquals(compilations + 1, cache.compilations(), "no compilation for the same bytes");
  }

  @Test
  void concurrentFirstUsesOfAModuleLoadItOnce() throws Exception {
    ModuleCache cache = new ModuleCache(64L << 20, true);
    byte[] module = unique(Fixtures.wasm("hello"));
    int threads = 8;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<LoadedModule>> loads = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        loads.add(pool.submit(() -> {
          go.await();
          return cache.load(module.clone());
        }));
      }
      go.countDown();
      LoadedModule first = loads.get(0).get();
      for (Future<LoadedModule> f : loads) {
        assertSame(first, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, cache.parses());
    assertEquals(1, cache.compilations());
  }

  @Test
  void keysModulesByTheSha256OfTheirBytes() {
    ModuleCache cache = new ModuleCache(64L << 20, true);
    byte[] module = Fixtures.wasm("hello");
    LoadedModule loaded = cache.load(module);
    assertEquals(ModuleCache.sha256(module), loaded.sha256());
    assertEquals(64, loaded.sha256().length());
    assertEquals(LoadedModule.Engine.COMPILED, loaded.engine(), loaded::toString);
  }

  @Test
  void interpretsFunctionsTooLargeToCompileAndRecordsWhy() {
    ModuleCache cache = new ModuleCache(64L << 20, true);
    LoadedModule huge = cache.load(Fixtures.wasm("huge"));
    assertEquals(LoadedModule.Engine.MIXED, huge.engine(), huge::toString);
    assertTrue(huge.engineNote().startsWith("some functions run interpreted: ")
        && huge.engineNote().contains("(name: huge)"), huge::engineNote);
    // and it still runs, through the shared cache, to the right answer
    try (Isolate isolate = isolate(Fixtures.wasm("huge"))) {
      long expected = 7;
      for (int i = 0; i < 6000; i++) {
        expected = (expected * 31 + i) & 0xffffffffL;
      }
      assertArrayEquals(new long[] {(int) expected}, isolate.call("huge", 7));
    }
  }

  @Test
  void keepsCompiledClassesOnDiskForTheNextJvmWhenAsked(@TempDir Path dir) throws Exception {
    byte[] module = Fixtures.wasm("lib");
    LoadedModule first = new ModuleCache(64L << 20, true, new DiskCompilerCache(dir, "test")).load(module);
    assertEquals(LoadedModule.Engine.COMPILED, first.engine());
    List<Path> entries;
    try (var files = Files.list(dir.resolve("chicory-test"))) {
      entries = files.collect(Collectors.toList());
    }
    assertEquals(1, entries.size(), entries::toString);
    assertTrue(entries.get(0).getFileName().toString().endsWith(".classes"));
    // A second cache (as in a new JVM) loads the classes from the entry, and they run.
    LoadedModule second = new ModuleCache(64L << 20, true, new DiskCompilerCache(dir, "test")).load(module);
    assertEquals(LoadedModule.Engine.COMPILED, second.engine());
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module))
        .hostFunction(WasmCallTest.HOST_ADD).hostFunction(WasmCallTest.LOG_IGNORED).build()) {
      assertArrayEquals(new long[] {5}, isolate.call("add", 2, 3));
    }
  }

  @Test
  void refusesACompilerCacheDirectoryOthersCanWrite(@TempDir Path dir) throws Exception {
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    String previous = System.setProperty("isolate.wasm.compilerCacheDir", dir.toString());
    try {
      IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> DiskCompilerCache.fromSettings(WasmSettings.fromSystemProperties(), "test"));
      assertTrue(e.getMessage().contains("writable by other users"), e::getMessage);
      Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      assertTrue(DiskCompilerCache.fromSettings(WasmSettings.fromSystemProperties(), "test") != null);
    } finally {
      if (previous == null) {
        System.clearProperty("isolate.wasm.compilerCacheDir");
      } else {
        System.setProperty("isolate.wasm.compilerCacheDir", previous);
      }
    }
  }

  @Test
  void canBeToldToInterpret() {
    ModuleCache cache = new ModuleCache(64L << 20, false);
    LoadedModule loaded = cache.load(Fixtures.wasm("hello"));
    assertEquals(LoadedModule.Engine.INTERPRETED, loaded.engine());
    assertEquals(0, cache.compilations());
  }
}
