package io.isolate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Workload;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  int run(String... args) {
    return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void doctorListsEveryLevel() {
    assertEquals(0, run("doctor"));
    String text = out.toString(StandardCharsets.UTF_8);
    for (String level : List.of("HARDWARE", "PARAVIRT", "OS", "PROCESS")) {
      assertTrue(text.contains(level), text);
    }
  }

  /** The demo's PROCESS workload ships in this module's jar (no provider jar carries demo assets). */
  @Test
  void demoHashesAtProcessWithTheModuleThisJarCarries() {
    assertEquals(0, run("demo"), stderr());
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.lines().anyMatch(l -> l.startsWith("PROCESS") && l.contains("sha256sum.wasm") && l.endsWith("ok")),
        text);
    // every level this host has runs (a level it lacks says why); none lacks a workload
    assertTrue(text.lines().noneMatch(l -> l.contains("no demo workload") || l.contains("FAILED")), text);
  }

  /**
   * The demo's HARDWARE workload is built with this module: a static executable (no interpreter, nothing to load),
   * the same program as the PROCESS one, giving sha256sum's answer. It runs natively here, as a plain process,
   * because its HARDWARE run needs KVM (the demo test above runs it where the host has it).
   */
  @Test
  void demoShipsAStaticHardwareProgramBuiltHere(@TempDir Path dir) throws Exception {
    byte[] elf;
    try (var in = Demo.class.getResourceAsStream(Demo.ELF_RESOURCE)) {
      assertTrue(in != null, Demo.ELF_RESOURCE + " is missing from the jar");
      elf = in.readAllBytes();
    }
    io.isolate.conformance.StaticExecutables.assertStatic(elf, Demo.ELF_RESOURCE);
    Path program = Files.write(dir.resolve("sha256sum.elf"), elf);
    assertTrue(program.toFile().setExecutable(true));
    Process p = new ProcessBuilder(program.toString()).start();
    p.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String digest = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor());
    assertEquals("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  -\n", digest);
  }

  @Test
  void doctorSpeaksJson() {
    assertEquals(0, run("doctor", "--json"));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("\"available\""));
  }

  @Test
  void badOptionsCannotStartAndSayWhy() {
    assertEquals(125, run("run", "--memory", "lots", "--", "x.wasm"));
    assertTrue(stderr().contains("size 'lots'"), stderr());
  }

  @Test
  void unknownOptionIsNamed() {
    assertEquals(125, run("run", "--frobnicate", "1", "--", "x.wasm"));
    assertTrue(stderr().contains("unknown option --frobnicate"), stderr());
  }

  @Test
  void missingWorkloadFileCannotStart() {
    assertEquals(125, run("run", "--level", "process", "--", "/nonexistent/x.wasm"));
    assertTrue(stderr().contains("not a readable regular file"), stderr());
  }

  @Test
  void anImageOptionNamesAFileThatIsNotThere() {
    assertEquals(125, run("run", "--level", "paravirt", "--image", "/nonexistent/disk.img:/disk", "--", "g.elf"));
    assertTrue(stderr().contains("image '/nonexistent/disk.img' is not an existing regular file"), stderr());
  }

  @Test
  void anImageRootWithoutACommandRunsTheImagesOwn(@TempDir Path dir) throws Exception {
    Path image = Files.write(dir.resolve("img.tar"), new byte[0]);
    RunOptions o = RunOptions.parse(List.of("--level", "os", "--rootfs", "oci:" + image));
    assertEquals(Workload.Kind.IMAGE_COMMAND, o.workload().kind());
    RunOptions given = RunOptions.parse(List.of("--level", "os", "--rootfs", "oci:" + image, "--", "/bin/true"));
    assertEquals(Workload.Kind.COMMAND, given.workload().kind());
  }

  @Test
  void unknownCommandPrintsUsage() {
    assertEquals(2, run("frob"));
    assertTrue(stderr().contains("usage:"), stderr());
  }

  @Test
  void exitCodesFollowTimeoutAndDockerConventions() {
    assertEquals(124, ExitCodes.of(io.isolate.Termination.TIMEOUT, -1));
    assertEquals(137, ExitCodes.of(io.isolate.Termination.MEMORY_LIMIT, -1));
    assertEquals(137, ExitCodes.of(io.isolate.Termination.OUTPUT_LIMIT, -1));
    assertEquals(134, ExitCodes.of(io.isolate.Termination.TRAP, -1));
    assertEquals(125, ExitCodes.of(io.isolate.Termination.FAILED_TO_START, -1));
    assertEquals(3, ExitCodes.of(io.isolate.Termination.EXITED, 3));
  }

  @Test
  void aCpuTimeOptionBecomesTheLimit() {
    RunOptions o = RunOptions.parse(List.of("--cpu-time", "250ms", "--", "x.wasm"));
    assertEquals(java.time.Duration.ofMillis(250), o.limits.build().cpuTime().orElseThrow());
  }

  @Test
  void parsesDurations() {
    assertEquals(java.time.Duration.ofMillis(250), RunOptions.parseDuration("--timeout", "250ms"));
    assertEquals(java.time.Duration.ofSeconds(5), RunOptions.parseDuration("--timeout", "5s"));
    assertEquals(java.time.Duration.ofMinutes(2), RunOptions.parseDuration("--timeout", "2m"));
    assertEquals(java.time.Duration.ofMillis(1500), RunOptions.parseDuration("--timeout", "1.5"));
  }
}
