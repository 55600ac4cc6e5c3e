package io.isolate.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Termination;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plugin host example survives plugins that loop, trap, flood or hoard, and serves the good one. */
class PluginHostTest {

  @Test
  void servesTheGoodPluginAndSurvivesTheHostileOnes() throws Exception {
    PluginHost host = new PluginHost(Path.of("src/main/resources/io/isolate/examples/plugins"));
    Map<String, ExitResult> results = host.runAll("hello plugins".getBytes(StandardCharsets.UTF_8));

    assertEquals("HELLO PLUGINS", results.get("upper.wasm").stdoutText());
    assertEquals(List.of("upper.wasm: upper: 13 bytes"), host.log());
    assertEquals(Termination.TIMEOUT, results.get("spinner.wasm").termination());
    assertEquals(Termination.TRAP, results.get("crasher.wasm").termination());
    assertEquals(Termination.OUTPUT_LIMIT, results.get("flooder.wasm").termination());
    assertEquals(64 * 1024, results.get("flooder.wasm").stdout().length);
    assertEquals(Termination.MEMORY_LIMIT, results.get("hoarder.wasm").termination());
    assertTrue(results.get("crasher.wasm").detail().contains("unreachable"), results.get("crasher.wasm").detail());
  }
}
