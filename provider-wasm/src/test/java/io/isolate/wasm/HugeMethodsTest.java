package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.Parser;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Modules whose functions are too large for HotSpot to JIT-compile are named, as long as the JVM would skip them. */
class HugeMethodsTest {
  /** A command whose _start is {@code n} times (i32.const 1, drop): 2n instructions, then end. */
  static byte[] commandOf(int n) {
    ByteArrayOutputStream code = new ByteArrayOutputStream();
    for (int i = 0; i < n; i++) {
      code.writeBytes(ModuleBytes.bytes(0x41, 0x01, 0x1a)); // i32.const 1; drop
    }
    code.write(0x0b);
    return ModuleBytes.command(code.toByteArray());
  }

  @Test
  void theLastFlagGivenDecidesAndTheDefaultSkips() {
    assertTrue(HugeMethods.skipsHugeMethods(List.of("-Xmx1g")));
    assertFalse(HugeMethods.skipsHugeMethods(List.of("-XX:-DontCompileHugeMethods")));
    assertTrue(HugeMethods.skipsHugeMethods(List.of("-XX:-DontCompileHugeMethods", "-XX:+DontCompileHugeMethods")));
  }

  @Test
  void countsTheFunctionsAboveTheLimit() {
    assertEquals(0, HugeMethods.countHuge(Parser.parse(commandOf(HugeMethods.INSTRUCTIONS_OVER_LIMIT / 2 - 10))));
    assertEquals(1, HugeMethods.countHuge(Parser.parse(commandOf(HugeMethods.INSTRUCTIONS_OVER_LIMIT))));
  }

  @Test
  void warnsWithTheFlagToUseUnlessTheJvmHasIt() {
    String warning = HugeMethods.warning("0123456789ab", 2);
    if (HugeMethods.jvmSkipsHugeMethods()) {
      assertTrue(warning.contains("2 functions of more than 3000 instructions")
          && warning.endsWith("Start the JVM with -XX:-DontCompileHugeMethods"), warning);
    } else {
      assertNull(warning);
    }
    assertNull(HugeMethods.warning("0123456789ab", 0));
  }
}
