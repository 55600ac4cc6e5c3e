package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import org.junit.jupiter.api.Test;

/** {@code table.grow} answers -1 when it cannot grow, whatever the delta, as the specification says. */
class WasmTableGrowTest {
  /**
   * {@code (module (table 1 funcref) (func (export "grow") (param i32) (result i32)
   * (table.grow 0 (ref.null func) (local.get 0))))}, assembled by hand.
   */
  static final byte[] GROW = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
      0x03, 0x02, 0x01, 0x00, // function 0 of type 0
      0x04, 0x04, 0x01, 0x70, 0x00, 0x01, // table: funcref, min 1, no max
      0x07, 0x08, 0x01, 0x04, 'g', 'r', 'o', 'w', 0x00, 0x00, // export "grow"
      0x0a, 0x0b, 0x01, 0x09, 0x00, (byte) 0xd0, 0x70, 0x20, 0x00, (byte) 0xfc, 0x0f, 0x00, 0x0b};

  @Test
  void aHugeOrImpossibleDeltaAnswersMinusOneAndTheTableStillGrowsWithinItsLimit() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(GROW)).build()) {
      assertArrayEquals(new long[] {-1}, isolate.call("grow", 0xffffffffL), "delta 2^32-1");
      assertArrayEquals(new long[] {-1}, isolate.call("grow", 0x7fffffffL), "delta 2^31-1, past int");
      assertArrayEquals(new long[] {-1}, isolate.call("grow", 0x10000000L), "delta past the memory limit's cap");
      assertArrayEquals(new long[] {1}, isolate.call("grow", 2), "a small delta grows and answers the old size");
      assertArrayEquals(new long[] {3}, isolate.call("grow", 0), "the table has 3 elements now");
    }
  }
}
