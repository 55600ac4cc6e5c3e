package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Termination;
import io.isolate.Workload;
import org.junit.jupiter.api.Test;

/** A module using SIMD, which this runtime validates but cannot run, is refused before it starts, saying why. */
class WasmSimdTest {
  /** {@code (module (func (export "_start") (drop (v128.const i32x4 0 0 0 0))))}, assembled by hand. */
  static final byte[] SIMD = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
      0x03, 0x02, 0x01, 0x00, // function 0 of type 0
      0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00, // export "_start"
      0x0a, 0x17, 0x01, 0x15, 0x00, (byte) 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1a, 0x0b};

  @Test
  void aSimdModuleFailsToStartNamingTheInstruction() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(SIMD)).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination(), r::toString);
      assertTrue(r.detail().contains("SIMD") && r.detail().contains("v128_const"), r.detail());
    }
  }
}
