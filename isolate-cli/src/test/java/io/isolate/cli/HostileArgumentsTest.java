package io.isolate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command never answers an argument with a Java stack trace or an internal error: the cases a hostile-input
 * campaign found, then a few hundred generated argument vectors over the real options with hostile values. Every
 * answer is one of the documented exit codes.
 */
class HostileArgumentsTest {
  @TempDir static Path dir;
  static Path hello;
  static Path upper;

  /** The documented exit codes the command itself chooses (workloads here exit 0 or are not run). */
  static final Set<Integer> DOCUMENTED = Set.of(0, 2, 124, 125, 134, 137);

  @BeforeAll
  static void workloads() throws IOException {
    upper = dir.resolve("upper.wasm");
    try (InputStream in = HostileArgumentsTest.class.getResourceAsStream("/io/isolate/cli/upper.wasm")) {
      Files.write(upper, in.readAllBytes());
    }
    hello = upper; // a real module; which function runs matters less than that the arguments reach it
  }

  private record Answer(int status, String out, String err) {}

  private static Answer run(List<String> args, OutputStream stdout) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(stdout != null ? stdout : captured, true, StandardCharsets.UTF_8);
    int status;
    try {
      status = Main.run(args, out, new PrintStream(err, true, StandardCharsets.UTF_8));
    } catch (Throwable t) {
      throw new AssertionError("the command threw for " + args + ": " + t, t);
    }
    return new Answer(status, captured.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static void assertClean(List<String> args, Answer a) {
    String all = a.out() + a.err();
    assertFalse(all.contains("\tat ") || all.contains("Exception in thread") || all.contains("internal error")
        || all.matches("(?s).*\\b(java|io\\.isolate)\\.[\\w.]+(Exception|Error)\\b.*"),
        "a stack trace or internal error for " + args + ":\n" + all);
    assertTrue(DOCUMENTED.contains(a.status()), "undocumented status " + a.status() + " for " + args + ": " + all);
  }

  @Test
  void theCasesTheCampaignFoundAreClearErrors() {
    Answer a = run(List.of("run", "--timeout", "1e300s", "--", hello.toString()), null);
    assertClean(List.of("--timeout 1e300s"), a);
    assertEquals(125, a.status());
    assertTrue(a.err().contains("--timeout '1e300s' is out of range"), a.err());

    a = run(List.of("run", "--level", "os", "--cpu-time", "soon", "--", "/bin/true"), null);
    assertTrue(a.err().contains("--cpu-time 'soon'"), "the flag that is wrong is named: " + a.err());

    a = run(List.of("run", "--level", "os", "--pids", "1e20", "--", "/bin/true"), null);
    assertEquals(125, a.status());
    assertTrue(a.err().contains("--pids '1e20' is not a whole number"), a.err());
    a = run(List.of("run", "--level", "os", "--pids", "99999999999", "--", "/bin/true"), null);
    assertTrue(a.err().contains("--pids 99999999999 is out of range"), a.err());

    a = run(List.of("call", "--level", "process", hello.toString(), "_start"), null);
    assertClean(List.of("call _start"), a);

    a = run(List.of("call", "--level", "paravirt", "--timeout", "5s", hello.toString(), "echo", "/dev/zero"), null);
    assertClean(List.of("call /dev/zero"), a);
    assertEquals(125, a.status());
    assertTrue(a.err().contains("/dev/zero holds more than"), a.err());
  }

  @Test
  void aResultThatCannotBeWrittenIsAFailure() {
    OutputStream full = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("No space left on device");
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        throw new IOException("No space left on device");
      }
    };
    Answer a = run(List.of("run", "--level", "os", "--", "/bin/echo", "hello"), full);
    assertEquals(125, a.status(), a.err());
    assertTrue(a.err().contains("cannot write the output"), a.err());
    a = run(List.of("doctor"), full);
    assertEquals(125, a.status(), a.err());
  }

  @Test
  void generatedArgumentVectorsGetDocumentedAnswers() {
    long seed = Long.getLong("isolate.test.seed", 20261204L);
    System.out.println("HostileArgumentsTest seed " + seed + " (-Disolate.test.seed to replay)");
    Random random = new Random(seed);
    String[] commands = {"run", "call", "doctor", "frobnicate", "--help", ""};
    String[] options = {"--level", "--memory", "--timeout", "--output", "--cpus", "--pids", "--cpu-time", "--env",
        "--ro", "--rw", "--image", "--rootfs", "--net", "--publish", "--user", "--hostname", "--workdir", "--json",
        "--",
        "--bogus", "-x"};
    String[] values = {"", "0", "-1", "1", "64m", "1e300", "1e300s", "NaN", "Infinity", "-Infinity", "0x10",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "2147483648", "1.5", "5s", "0s",
        "250ms", "99999999999h", "1e-9s", "process", "os", "hardware", "paravirt", "warp", "none", "host",
        "loopback", "K=V", "=V", "K", "/tmp:/x", "/nonexistent:/x", ":", "a:b:c", "0:0", "65536:1", "1:65536",
        "/dev/zero:/z", dir + ":/d", "oci:/nonexistent", "oci:", "host", "/", "..", "../../etc", "a\u00e9\u4e2d",
        "x".repeat(5000), "%s%n", "$(id)", "-", "--", "\t", " "};
    String[] workloads = {hello.toString(), "/nonexistent", "/dev/zero", dir.toString(), "/bin/true", ""};
    for (int round = 0; round < 300; round++) {
      List<String> args = new ArrayList<>();
      args.add(commands[random.nextInt(commands.length)]);
      int n = random.nextInt(6);
      for (int i = 0; i < n; i++) {
        args.add(options[random.nextInt(options.length)]);
        if (random.nextInt(5) > 0) {
          args.add(values[random.nextInt(values.length)]);
        }
      }
      // keep whatever runs short, and on the levels that start fast
      args.add(1, "--timeout");
      args.add(2, "2s");
      if (random.nextBoolean()) {
        args.add("--");
      }
      args.add(workloads[random.nextInt(workloads.length)]);
      if (args.get(0).equals("call")) {
        args.add(random.nextBoolean() ? "upper" : "_start");
      }
      assertClean(args, run(args, null));
    }
  }
}
