package io.isolate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command speaks in its own words: its version, help for every command, "did you mean" for a mistyped option
 * or command, and in every message the flags a user typed, never the API's method names.
 */
class CommandLineWordsTest {
  /** What an API name looks like in a message: a builder method, a camel-case setting, a Java map of ports. */
  private static final Pattern API_WORDS = Pattern.compile(
      "acceptUnenforcedLimits|workingDir|wallTime|cpuTime|memoryBytes|outputBytes|publishPort|hostFunction"
          + "|\\{\\d+=\\d+|\\b[a-z]+[A-Z][A-Za-z]*\\(|\\b(cpus|pids|memory|output)\\(");

  @TempDir static Path dir;
  static Path module;
  static Path elf;

  @BeforeAll
  static void files() throws IOException {
    module = dir.resolve("upper.wasm");
    try (InputStream in = CommandLineWordsTest.class.getResourceAsStream("/io/isolate/cli/upper.wasm")) {
      Files.write(module, in.readAllBytes());
    }
    elf = dir.resolve("program");
    Files.write(elf, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
  }

  private record Answer(int status, String out, String err) {}

  private static Answer run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Answer(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void saysItsVersion() {
    for (String[] args : List.of(new String[] {"--version"}, new String[] {"version"})) {
      Answer a = run(args);
      assertEquals(0, a.status(), a.err());
      assertTrue(a.out().matches("isolate \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Java .*\\)\\R"), a.out());
    }
  }

  @Test
  void everyCommandHasHelpAndRunsHelpNamesEveryOption() {
    for (String command : Help.COMMANDS) {
      Answer a = run("help", command);
      assertEquals(0, a.status(), command);
      assertTrue(a.out().startsWith("usage: isolate " + command), a.out());
    }
    Answer help = run("run", "--help");
    assertEquals(0, help.status());
    for (String option : RunOptions.OPTIONS) {
      assertTrue(help.out().contains(option), option + " is not in the help:\n" + help.out());
    }
    assertEquals(0, run("call", "-h").status());
    assertEquals(0, run("doctor", "--help").status());
    assertEquals(0, run("demo", "--help").status());
  }

  @Test
  void mistypedOptionsAndCommandsGetASuggestion() {
    Answer a = run("doctor", "--jsn");
    assertEquals(125, a.status());
    assertTrue(a.err().contains("unknown option --jsn for doctor (did you mean --json?)"), a.err());
    a = run("run", "--timout", "5s", module.toString());
    assertTrue(a.err().contains("unknown option --timout (did you mean --timeout?)"), a.err());
    a = run("run", "-t", "5s", module.toString());
    assertTrue(a.err().contains("unknown option -t"), a.err());
    a = run("doctr");
    assertEquals(2, a.status());
    assertTrue(a.err().contains("unknown command 'doctr' (did you mean doctor?)"), a.err());
    a = run("demo", "--fast");
    assertEquals(125, a.status());
    assertTrue(a.err().contains("demo takes no argument"), a.err());
  }

  @Test
  void aWorkloadOfAnotherLevelIsRefusedNamingTheRightLevel() {
    Answer a = run("run", elf.toString());
    assertEquals(125, a.status());
    assertTrue(a.err().contains("is a Linux executable, not a WebAssembly module: run a static program with "
        + "--level hardware"), a.err());
    a = run("run", "--level", "hardware", module.toString());
    assertTrue(a.err().contains("is a WebAssembly module, which runs at --level process, not --level hardware"),
        a.err());
  }

  @Test
  void acceptUnenforcedLimitsHasAFlag() {
    Answer refused = run("run", "--cpus", "0.5", module.toString());
    assertEquals(125, refused.status());
    assertTrue(refused.err().contains("--accept-unenforced-limits"), refused.err());
    assertTrue(refused.err().contains("--cpus 1"), refused.err());
    Answer accepted = run("run", "--cpus", "0.5", "--accept-unenforced-limits", "--json", module.toString());
    assertFalse(accepted.err().contains("--accept-unenforced-limits"), accepted.err());
    assertTrue(accepted.out().contains("\"termination\""), accepted.out() + accepted.err());
  }

  @Test
  void everyMessageNamesFlagsNotApiMethods() {
    String m = module.toString();
    List<String[]> cases = new ArrayList<>(List.of(
        new String[] {"run", "--workdir", "relative", m},
        new String[] {"run", "--workdir", "/a/../b", m},
        new String[] {"run", "--hostname", "no spaces", m},
        new String[] {"run", "--env", "1BAD=x", m},
        new String[] {"run", "--publish", "8080:80", m},
        new String[] {"run", "--publish", "0:80", m},
        new String[] {"run", "--rootfs", "/", m},
        new String[] {"run", "--net", "loopback", m},
        new String[] {"run", "--cpus", "0.5", m},
        new String[] {"run", "--cpus", "0", m},
        new String[] {"run", "--memory", "0", m},
        new String[] {"run", "--memory", "1k", m},
        new String[] {"run", "--output", "0", m},
        new String[] {"run", "--timeout", "0s", m},
        new String[] {"run", "--cpu-time", "soon", m},
        new String[] {"run", "--pids", "0", m},
        new String[] {"run", "--ro", dir + ":relative", m},
        new String[] {"run", "--rw", dir + ":/a/./b", m},
        new String[] {"run", "--image", "/nonexistent:/disk", m},
        new String[] {"run", "--level", "warp", m},
        new String[] {"run", "--level", "os", "--publish", "8080:80", "--publish", "8081:81", "/bin/true"},
        new String[] {"call", "--level", "os", "/bin/true", "f"}));
    for (String[] args : cases) {
      Answer a = run(args);
      String all = a.out() + a.err();
      assertFalse(API_WORDS.matcher(all).find(), "an API name in the answer to " + List.of(args) + ":\n" + all);
      assertTrue(a.status() == 125 || a.status() == 0, List.of(args) + " -> " + a.status() + ": " + all);
    }
  }

  @Test
  void completionScriptsAreValidAndKnowEveryCommandAndOption() throws Exception {
    Answer bash = run("completion", "bash");
    assertEquals(0, bash.status(), bash.err());
    for (String word : Help.COMMANDS) {
      assertTrue(bash.out().contains(word), word);
    }
    for (String option : RunOptions.OPTIONS) {
      assertTrue(bash.out().contains(option), option);
    }
    Path script = dir.resolve("isolate.bash");
    Files.writeString(script, bash.out());
    Process check = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
    String problems = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, check.waitFor(), "bash -n: " + problems);
    assertEquals(0, run("completion", "zsh").status());
    Answer fish = run("completion", "fish");
    assertEquals(125, fish.status());
    assertTrue(fish.err().contains("completion takes one shell, bash or zsh"), fish.err());
  }
}
