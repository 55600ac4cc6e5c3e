package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import io.isolate.GuestFailureException;
import io.isolate.spi.GuestSdk;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target: what a plugin hands the host across the guest SDK's boundary. The input is read as the handler names a
 * plugin announces ({@link GuestSdk#handlerNames}: names or a refusal, never anything else) and as the numbers a
 * hostile plugin passes to the host functions of module {@code isolate} (addresses, lengths, levels) on a live
 * instance of the example plugin: each call returns or refuses with a trap the guest gets
 * ({@link HostFunctions.HostFunctionFailure} or {@link GuestFailureException}), never an exception of the host's own.
 * {@code mvn verify} replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class PluginAbiFuzzTest {
  private static Instance instance;
  private static Plugin plugin;
  private static List<HostFunction> imports;

  @FuzzTest
  void refusesOrAnswersAnythingAPluginHandsOver(byte[] input) {
    try {
      for (String name : GuestSdk.handlerNames(input)) {
        int n = name.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(n >= 1 && n <= GuestSdk.MAX_NAME_BYTES, name);
      }
    } catch (IllegalArgumentException refused) {
      assertFalse(refused.getMessage().isBlank());
    }
    start();
    ByteBuffer numbers = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
    while (numbers.remaining() >= 1 + 4 * 4) {
      HostFunction f = imports.get(Math.floorMod(numbers.get(), imports.size()));
      long[] args = new long[Plugin.IMPORTS.get(f.name()).params().size()];
      for (int i = 0; i < 4; i++) {
        int v = numbers.getInt();
        if (i < args.length) {
          args[i] = v; // Chicory passes an i32 sign-extended, as a guest's 0xFFFFFFF0 arrives as -16
        }
      }
      try {
        f.handle().apply(instance, args);
      } catch (HostFunctions.HostFunctionFailure | GuestFailureException trap) {
        assertFalse(String.valueOf(trap.getMessage()).isBlank());
      }
    }
  }

  private static synchronized void start() {
    if (instance != null) {
      return;
    }
    byte[] text = PluginTest.example("text");
    // log lines are discarded: at an isolate they go to its stderr, under the output limit
    plugin = new Plugin(Map.of("echo", in -> in), Map.of("k", "v"), java.io.OutputStream.nullOutputStream());
    imports = plugin.imports();
    WasiPreview1 wasi = WasiPreview1.builder().build();
    instance = Instance.builder(Parser.parse(text))
        .withImportValues(ImportValues.builder().addFunction(wasi.toHostFunctions())
            .addFunction(imports.toArray(HostFunction[]::new)).build())
        .withStart(false).build();
  }
}
