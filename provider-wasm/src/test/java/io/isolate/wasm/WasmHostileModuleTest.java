package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Termination;
import io.isolate.Workload;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Modules made to keep Chicory's parser and compiler busy: loading a module counts against the wall-time limit of
 * the run (or call) that needs it, is done on a compiler thread that the run can walk away from, and is bounded by
 * caps checked before compiling. Every module here is written byte by byte ({@link ModuleBytes}) and made unique
 * ({@link WasmModuleCacheTest#unique}), so that no other test's cache entry helps it.
 */
class WasmHostileModuleTest {
  /** What a run may take beyond its limit here: the watchdog's period, thread hand-offs, a busy build machine. */
  private static final long SLACK_MILLIS = 1_500;

  private static Isolate isolate(byte[] module, Duration wallTime) {
    return Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module))
        .limits(Limits.builder().wallTime(wallTime).build()).build();
  }

  /** Builds an isolate of {@code module} and runs it, as the command line does; returns the result and time. */
  private static Timed buildAndRun(byte[] module, Duration wallTime) {
    long start = System.nanoTime();
    try (Isolate isolate = isolate(module, wallTime)) {
      ExitResult r = isolate.run();
      return new Timed(r, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }
  }

  private record Timed(ExitResult result, long millis) {}

  @Test
  void aBrTableOfTwoMillionTargetsDoesNotOutliveTheWallTime() {
    // The campaign's module: 2 MB, one br_table of 2,000,000 targets, which kept Chicory's compiler busy for
    // minutes under a 5 s limit. Now the module is interpreted (the br_table is over the compile cap) and runs.
    byte[] module = WasmModuleCacheTest.unique(ModuleBytes.brTable(2_000_000));
    Timed t = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> buildAndRun(module, Duration.ofSeconds(5)));
    assertTrue(t.millis() < 5_000 + SLACK_MILLIS, () -> "took " + t.millis() + " ms: " + t.result());
    assertTrue(t.result().isSuccess() || t.result().termination() == Termination.TIMEOUT, t.result()::toString);
  }

  @Test
  void loadingPastTheDeadlineIsATimeoutAndLeavesNobodyBlocked() {
    // Parsing and validating 2,000,000 br_table targets alone takes over a second: far past a 200 ms limit.
    byte[] module = WasmModuleCacheTest.unique(ModuleBytes.brTable(2_000_000));
    Timed first = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> buildAndRun(module, Duration.ofMillis(200)));
    assertEquals(Termination.TIMEOUT, first.result().termination(), first.result()::toString);
    assertTrue(first.result().detail().contains("while the module was being loaded"), first.result()::detail);
    assertTrue(first.millis() < 200 + SLACK_MILLIS, () -> "took " + first.millis() + " ms");

    // A second caller of the same module, while the first one's load may still be going: it waits at most its
    // own limit, never behind a lock the first one left.
    Timed second = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> buildAndRun(module, Duration.ofMillis(200)));
    assertTrue(second.millis() < 200 + SLACK_MILLIS, () -> "took " + second.millis() + " ms: " + second.result());

    // Another module loads meanwhile without waiting for it.
    Timed other = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> buildAndRun(WasmModuleCacheTest.unique(Fixtures.wasm("hello")), Duration.ofSeconds(10)));
    assertTrue(other.result().isSuccess(), other.result()::toString);

    // And a caller with time enough gets the module.
    Timed patient = assertTimeoutPreemptively(Duration.ofSeconds(60),
        () -> buildAndRun(module, Duration.ofSeconds(30)));
    assertTrue(patient.result().isSuccess(), patient.result()::toString);
  }

  @Test
  void aCallCountsTheLoadAgainstItsWallTimeToo() {
    byte[] module = WasmModuleCacheTest.unique(ModuleBytes.brTable(2_000_000));
    try (Isolate isolate = isolate(module, Duration.ofMillis(200))) {
      long start = System.nanoTime();
      io.isolate.GuestFailureException e = assertThrows(io.isolate.GuestFailureException.class,
          () -> isolate.call("_start"));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(Termination.TIMEOUT, e.termination(), e::getMessage);
      assertTrue(millis < 200 + SLACK_MILLIS, () -> "took " + millis + " ms");
    }
  }

  @Test
  void anAbandonedLoadIsNotCached() throws Exception {
    ModuleCache cache = new ModuleCache(64L << 20, true);
    byte[] module = WasmModuleCacheTest.unique(ModuleBytes.brTable(2_000_000));
    String key = ModuleCache.sha256(module);
    assertThrows(ModuleCache.LoadTimeoutException.class,
        () -> cache.load(module, key, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100)));
    // The load goes on without anybody waiting for it; once it has ended, nothing of it is in the cache.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (cache.inFlight() > 0 && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    assertEquals(0, cache.inFlight(), "the abandoned load never ended");
    assertNull(cache.cached(key));
    assertEquals(1, cache.abandoned());
    assertEquals(1, cache.parses());
    LoadedModule loaded = cache.load(module);
    assertEquals(2, cache.parses(), "parsed again: the abandoned result was dropped");
    assertEquals(LoadedModule.Engine.INTERPRETED, loaded.engine(), loaded::toString);
    assertTrue(loaded.engineNote().contains("isolate.wasm.compileMaxBrTableTargets"), loaded::engineNote);
  }

  @Test
  void aHundredThousandFunctionsRunWithinTheWallTime() {
    byte[] module = WasmModuleCacheTest.unique(ModuleBytes.manyFunctions(100_000));
    Timed t = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> buildAndRun(module, Duration.ofSeconds(5)));
    assertTrue(t.result().isSuccess(), t.result()::toString);
    assertTrue(t.millis() < 5_000 + SLACK_MILLIS, () -> "took " + t.millis() + " ms");
    LoadedModule loaded = new ModuleCache(64L << 20, true).load(module);
    assertEquals(LoadedModule.Engine.INTERPRETED, loaded.engine(), loaded::toString);
    assertTrue(loaded.engineNote().contains("isolate.wasm.compileMaxFunctions"), loaded::engineNote);
  }

  @Test
  void tenThousandImportsRunWithinTheWallTimeAndMoreAreRefused() {
    byte[] module = WasmModuleCacheTest.unique(ModuleBytes.manyImports(10_000));
    Timed t = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> buildAndRun(module, Duration.ofSeconds(5)));
    assertTrue(t.result().isSuccess(), t.result()::toString);
    assertTrue(t.millis() < 5_000 + SLACK_MILLIS, () -> "took " + t.millis() + " ms");

    // Instantiating is not interruptible and its cost grows faster than the number of imports (a minute for
    // Chicory's maximum of 100,000): more than isolate.wasm.maxImports are refused.
    byte[] tooMany = WasmModuleCacheTest.unique(ModuleBytes.manyImports(10_001));
    Timed refused = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> buildAndRun(tooMany, Duration.ofSeconds(5)));
    assertEquals(Termination.FAILED_TO_START, refused.result().termination(), refused.result()::toString);
    assertTrue(refused.result().detail().contains("10001 imports")
        && refused.result().detail().contains("isolate.wasm.maxImports"), refused.result()::detail);
    assertFalse(refused.result().detail().contains("\tat "), refused.result()::detail);
  }

  @Test
  void refusesAModuleOverTheSizeCapBeforeParsingIt() {
    ModuleCache cache = new ModuleCache(64L << 20, true, null,
        ModuleCache.Caps.DEFAULT.withMaxModuleBytes(1 << 20));
    byte[] module = WasmModuleCacheTest.unique(ModuleBytes.brTable(2_000_000));
    ModuleCache.ModuleRefusedException e = assertThrows(ModuleCache.ModuleRefusedException.class,
        () -> cache.load(module));
    assertTrue(e.getMessage().contains("isolate.wasm.maxModuleBytes"), e::getMessage);
    assertEquals(0, cache.parses());
  }
}
