package io.isolate.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's quick start must be the code that {@link QuickStart} compiles (and {@code QuickStartTest} runs). */
class ReadmeTest {

  @Test
  void quickStartInTheReadmeIsTheCompiledExample() throws IOException {
    String source = Files.readString(Path.of("src/main/java/io/isolate/examples/QuickStart.java"));
    String compiled = normalize(between(source, "// README:begin\n", "    // README:end"));
    String readme = Files.readString(Path.of("../README.md"));
    String shown = normalize(between(readme, "## Quick start\n\n```java\n", "```"));
    assertTrue(!compiled.isEmpty());
    assertEquals(compiled, shown);
  }

  private static String between(String text, String start, String end) {
    int from = text.indexOf(start);
    assertTrue(from >= 0, "marker not found: " + start);
    from += start.length();
    return text.substring(from, text.indexOf(end, from));
  }

  /** Compares code, not indentation or line wrapping. */
  private static String normalize(String code) {
    List<String> lines = code.lines().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.toList());
    return String.join(" ", lines).replaceAll("\\s+", " ").replace("( ", "(").replace(" .", ".");
  }
}
