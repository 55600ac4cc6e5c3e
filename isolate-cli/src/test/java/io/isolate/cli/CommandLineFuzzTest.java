package io.isolate.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isolate.IsolateException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target: the command line's options of {@code run} and {@code call}, from parsing to the validated spec of
 * the isolate they describe (nothing is started). The input is the argument vector, NUL-separated. Every vector
 * either becomes a spec or is refused with an {@link IsolateException} or {@link IllegalArgumentException} whose
 * message the command prints as is; any other exception would reach the user as an internal error. {@code mvn
 * verify} replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class CommandLineFuzzTest {
  @FuzzTest
  void everyArgumentVectorBecomesASpecOrAClearError(byte[] input) {
    List<String> args = Arrays.asList(new String(input, StandardCharsets.UTF_8).split("\0", -1));
    try {
      RunOptions options = RunOptions.parse(args);
      assertNotNull(options.builder(options.workload()).spec());
    } catch (IsolateException | IllegalArgumentException refused) {
      String message = refused.getMessage();
      assertFalse(message == null || message.isBlank(), "a refusal says why: " + refused);
    }
  }
}
