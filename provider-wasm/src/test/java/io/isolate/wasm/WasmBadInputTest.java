package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.GuestFailureException;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Termination;
import io.isolate.Workload;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Modules and specs that cannot run: each ends with a clear reason, never a hang or a stack trace. */
class WasmBadInputTest {

  private static ExitResult run(byte[] module) {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module)).build()) {
      return isolate.run();
    }
  }

  @Test
  void reportsATruncatedModuleAsFailedToStart() {
    byte[] hello = Fixtures.wasm("hello");
    for (int length : new int[] {4, 100, hello.length / 2, hello.length - 1}) {
      ExitResult r = run(Arrays.copyOf(hello, length));
      assertEquals(Termination.FAILED_TO_START, r.termination(), () -> length + ": " + r);
      assertTrue(r.detail().startsWith("not a valid WebAssembly module (module.wasm, " + length + " bytes): "),
          r::detail);
      assertFalse(r.detail().contains("\tat "), r::detail);
    }
    // Magic and version alone are a valid, empty module: it runs, but it is no command.
    ExitResult empty = run(Arrays.copyOf(hello, 8));
    assertEquals(Termination.FAILED_TO_START, empty.termination());
    assertTrue(empty.detail().contains("no _start export"), empty::detail);
  }

  @Test
  void reportsGarbageAsFailedToStart() {
    byte[] garbage = new byte[4096];
    new Random(42).nextBytes(garbage);
    ExitResult r = run(garbage);
    assertEquals(Termination.FAILED_TO_START, r.termination());
    assertTrue(r.detail().contains("not a valid WebAssembly module"), r::detail);
    ExitResult text = run("#!/bin/sh\necho not wasm\n".getBytes());
    assertEquals(Termination.FAILED_TO_START, text.termination());
  }

  @Test
  void refusesAnEmptyModuleWhenTheWorkloadIsBuilt() {
    assertThrows(InvalidSpecException.class, () -> Workload.wasm(new byte[0]));
  }

  @Test
  void namesAnImportTheHostDoesNotProvide() {
    ExitResult r = run(Fixtures.wasm("unknown_import"));
    assertEquals(Termination.FAILED_TO_START, r.termination());
    assertTrue(r.detail().contains("module imports env.foo (func (i32) -> (i32)) which the host does not provide"),
        r::detail);
  }

  @Test
  void namesEveryUnknownWasiFunctionAndNonFunctionImport() {
    ExitResult r = run(Fixtures.wasm("unknown_wasi"));
    assertEquals(Termination.FAILED_TO_START, r.termination());
    assertTrue(r.detail().contains("module imports wasi_snapshot_preview1.teleport"), r::detail);
    assertTrue(r.detail().contains("not a WASI preview 1 function"), r::detail);
    assertTrue(r.detail().contains("module imports env.memory (memory)"), r::detail);
  }

  @Test
  void callsOnABrokenModuleFailToStartToo() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(Fixtures.wasm("unknown_import"))).build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("main"));
      assertEquals(Termination.FAILED_TO_START, e.termination());
      assertTrue(e.getMessage().contains("env.foo"), e::getMessage);
    }
  }

  @Test
  void answersUnsupportedWasiCallsWithEnosysAndCountsThem() {
    ExitResult r = run(Fixtures.wasm("unsupported"));
    assertTrue(r.isSuccess(), r::toString);
    assertEquals("errno 52 52\n", r.stdoutText());
    assertEquals(Map.of("sock_accept", 2L), r.unsupportedCalls());
  }

  @Test
  void refusesAWorkingDirectoryAtThisLevel() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> Fixtures.process("hello").workingDir("/work").build());
    assertTrue(e.getMessage().contains("workingDir (/work)"), e::getMessage);
  }

  @Test
  void refusesASimdModuleBeforeItRunsAndSaysWhy() {
    byte[] module = WasmModuleCacheTest.unique(ModuleBytes.simd());
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module)).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination(), r::toString);
      assertTrue(r.detail().contains("SIMD") && r.detail().contains("v128.const"), r::detail);
      assertTrue(r.detail().contains("not supported"), r::detail);
      assertFalse(r.detail().contains("Machine doesn't recognize"), r::detail);
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("_start"));
      assertEquals(Termination.FAILED_TO_START, e.termination());
      assertTrue(e.getMessage().contains("SIMD"), e::getMessage);
    }
    // with the interpreter too: neither engine of Chicory 1.7.5 on Java 17 runs SIMD
    ModuleCache interpreter = new ModuleCache(64L << 20, false);
    ModuleCache.ModuleRefusedException refused = assertThrows(ModuleCache.ModuleRefusedException.class,
        () -> interpreter.load(module));
    assertTrue(refused.getMessage().contains("SIMD"), refused::getMessage);
  }
}
