package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.Mount;
import io.isolate.ProviderSettings;
import io.isolate.Termination;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Settings given to one isolate: the per-isolate one is honoured for that isolate alone, a JVM-wide one that differs
 * from the JVM's is refused naming it, and settings of another level are refused.
 */
class WasmSettingsTest {
  @TempDir Path dir;

  @Test
  void theMountCapOfOneIsolateIsHonouredForItAlone() throws IOException {
    Files.write(dir.resolve("big"), new byte[2 << 20]);
    WasmSettings small = WasmSettings.fromSystemProperties().withMaxMountBytes(1 << 20);
    try (Isolate isolate = Fixtures.process("hello").mount(Mount.image(dir.resolve("big"), "/data/big"))
        .settings(small).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination(), r::toString);
      assertTrue(r.detail().contains("maxMountBytes"), r.detail());
    }
    try (Isolate isolate = Fixtures.process("hello").mount(Mount.image(dir.resolve("big"), "/data/big")).build()) {
      assertEquals(Termination.EXITED, isolate.run().termination(), "the next isolate has the default cap again");
    }
  }

  @Test
  void aJvmWideSettingThatDiffersIsRefusedByName() {
    WasmSettings jvm = WasmSettings.fromSystemProperties();
    WasmSettings bigger = new WasmSettings(jvm.maxModuleBytes(), jvm.maxImports(), jvm.compileMaxFunctions(),
        jvm.compileMaxImports(), jvm.compileMaxBrTableTargets(), jvm.compileThreads(), jvm.cacheBytes() * 2,
        jvm.compiled(), jvm.compilerCacheDir(), jvm.maxMountBytes(), jvm.linkAtBuild());
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> Fixtures.process("hello").settings(bigger).build());
    assertTrue(e.getMessage().contains("WasmSettings.cacheBytes belongs to the whole JVM"), e.getMessage());
    try (Isolate same = Fixtures.process("hello").settings(jvm).build()) {
      assertTrue(same.run().isSuccess(), "the JVM's own values are accepted");
    }
  }

  @Test
  void settingsOfAnotherLevelAreRefused() {
    ProviderSettings other = jvm -> null;
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> Fixtures.process("hello").settings(other).build());
    assertTrue(e.getMessage().contains("are not settings of level PROCESS, whose settings are WasmSettings"),
        e.getMessage());
  }
}
