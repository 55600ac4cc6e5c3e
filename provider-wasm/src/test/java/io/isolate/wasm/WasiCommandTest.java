package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.Isolates;
import io.isolate.IsolationLevel;
import io.isolate.Output;
import io.isolate.Termination;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** WASI commands: arguments, environment, stdio and exit codes. */
class WasiCommandTest {

  @Test
  void theProcessLevelIsAvailableThroughChicory() {
    var availability = Isolates.availability(IsolationLevel.PROCESS);
    assertTrue(availability.isAvailable(), availability::toString);
    assertTrue(availability.explanation().startsWith("Chicory 1.7.5 on Java "), availability::toString);
  }

  @Test
  void runsHelloWorldToExitCodeZero() {
    try (Isolate isolate = Fixtures.process("hello").build()) {
      ExitResult r = isolate.run();
      assertTrue(r.isSuccess(), r::toString);
      assertEquals("hello from wasm\n", r.stdoutText());
      assertEquals("", r.stderrText());
      assertTrue(r.usage().wallTime().toNanos() > 0);
      assertTrue(r.usage().cpuTime().isPresent());
      assertTrue(r.usage().peakMemoryBytes().getAsLong() >= 65536, r::toString);
    }
  }

  @Test
  void passesArgumentsWithTheWorkloadNameAsArgvZeroAndOnlyTheGivenEnvironment() {
    try (Isolate isolate = Fixtures.process("echo", "one", "two words", "")
        .env("GREETING", "hi there").env("EMPTY", "").build()) {
      ExitResult r = isolate.run();
      assertTrue(r.isSuccess(), r::toString);
      assertEquals("arg 0=module.wasm\narg 1=one\narg 2=two words\narg 3=\nenv GREETING=hi there\nenv EMPTY=\n",
          r.stdoutText());
      assertEquals("4 args\n", r.stderrText());
    }
  }

  @Test
  void exposesNoHostEnvironmentByDefault() {
    try (Isolate isolate = Fixtures.process("echo").build()) {
      assertEquals("arg 0=module.wasm\n", isolate.run().stdoutText());
    }
  }

  @Test
  void passesProcExitCodesThrough() {
    try (Isolate isolate = Fixtures.process("exitcode", "7").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination());
      assertEquals(7, r.exitCode());
      assertFalse(r.isSuccess());
    }
    try (Isolate isolate = Fixtures.process("exitcode").build()) {
      assertEquals(42, isolate.run().exitCode());
    }
    try (Isolate isolate = Fixtures.process("exitcode", "0").build()) {
      assertTrue(isolate.run().isSuccess());
    }
  }

  @Test
  void readsStdinFromBytesAndStreams() {
    try (Isolate isolate = Fixtures.process("cat").stdin(Input.of("from bytes\n")).build()) {
      assertEquals("from bytes\n", isolate.run().stdoutText());
    }
    byte[] big = new byte[300_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) ('a' + i % 26);
    }
    try (Isolate isolate = Fixtures.process("cat").stdin(Input.from(new ByteArrayInputStream(big))).build()) {
      ExitResult r = isolate.run();
      assertTrue(r.isSuccess(), r::toString);
      assertEquals(new String(big, StandardCharsets.US_ASCII), r.stdoutText());
    }
  }

  @Test
  void readsEndOfFileWhenStdinIsNone() {
    try (Isolate isolate = Fixtures.process("cat").build()) {
      ExitResult r = isolate.run();
      assertTrue(r.isSuccess(), r::toString);
      assertEquals("", r.stdoutText());
    }
  }

  @Test
  void readsStdinWrittenThroughAPipeWhileRunning() throws Exception {
    try (Isolate isolate = Fixtures.process("cat").stdin(Input.pipe()).build()) {
      Execution e = isolate.start();
      OutputStream in = e.stdin();
      for (int i = 0; i < 1000; i++) {
        in.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
      }
      in.close();
      ExitResult r = e.await(Duration.ofSeconds(10));
      assertTrue(r.isSuccess(), r::toString);
      assertTrue(r.stdoutText().startsWith("line 0\nline 1\n"));
      assertTrue(r.stdoutText().endsWith("line 999\n"));
    }
  }

  @Test
  void failsPipeWritesAfterTheGuestEndedLikeABrokenPipe() {
    try (Isolate isolate = Fixtures.process("hello").stdin(Input.pipe()).build()) {
      Execution e = isolate.start();
      assertTrue(e.await().isSuccess());
      java.io.IOException broken = assertThrows(java.io.IOException.class, () -> e.stdin().write(new byte[10]));
      assertTrue(broken.getMessage().contains("broken pipe"), broken::getMessage);
    }
  }

  @Test
  void refusesStdinWritesWhenStdinIsNotAPipe() {
    try (Isolate isolate = Fixtures.process("hello").build()) {
      Execution e = isolate.start();
      assertThrows(IllegalStateException.class, e::stdin);
      e.await();
    }
  }

  @Test
  void streamsOutputToTheApplicationsStream() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Isolate isolate = Fixtures.process("hello").stdout(Output.to(out)).build()) {
      ExitResult r = isolate.run();
      assertTrue(r.isSuccess());
      assertEquals(0, r.stdout().length, "streamed output is not captured as well");
    }
    assertEquals("hello from wasm\n", out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void hashesStdinWithTheDemoProgramLikeSha256sum() throws Exception {
    byte[] input = "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8);
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(input));
    byte[] demo = Fixtures.wasm("sha256sum");
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(io.isolate.Workload.wasm(demo)).stdin(Input.of(input)).build()) {
      ExitResult r = isolate.run();
      assertTrue(r.isSuccess(), r::toString);
      assertEquals(expected + "  -\n", r.stdoutText());
    }
  }

  /**
   * The raw Chicory sequence the benchmarks compare against: the same calls our isolate makes per run, minus
   * our limits, stdio capping and thread. Kept here so that the baseline cannot drift from what we do.
   */
  @Test
  void producesWhatRawChicoryProducesForTheSameModule() {
    byte[] bytes = Fixtures.wasm("echo");
    var module = com.dylibso.chicory.wasm.Parser.parse(bytes);
    var factory = com.dylibso.chicory.compiler.MachineFactoryCompiler.compile(module); // once; reusable
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (var wasi = com.dylibso.chicory.wasi.WasiPreview1.builder()
        .withOptions(com.dylibso.chicory.wasi.WasiOptions.builder().withStdout(out)
            .withStderr(new ByteArrayOutputStream()).withStdin(new ByteArrayInputStream(new byte[0]))
            .withArguments(java.util.List.of("module.wasm", "x")).build())
        .build()) {
      var instance = com.dylibso.chicory.runtime.Instance.builder(module)
          .withImportValues(com.dylibso.chicory.runtime.ImportValues.builder()
              .addFunction(wasi.toHostFunctions()).build())
          .withMachineFactory(factory)
          .withStart(false)
          .build();
      instance.export("_start").apply();
    }
    try (Isolate isolate = Fixtures.process("echo", "x").build()) {
      assertEquals(out.toString(StandardCharsets.UTF_8), isolate.run().stdoutText());
    }
  }

  @Test
  void reportsAFailingApplicationStreamWithoutFailingTheRun() {
    OutputStream broken = new OutputStream() {
      @Override
      public void write(int b) throws java.io.IOException {
        throw new java.io.IOException("disk full");
      }
    };
    try (Isolate isolate = Fixtures.process("hello").stdout(Output.to(broken)).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination());
      assertEquals(0, r.exitCode());
      assertTrue(r.detail().contains("output stream failed: disk full"), r::detail);
    }
  }

  @Test
  void refusesASecondStartWhileTheFirstRunIsAlive() {
    try (Isolate isolate = Fixtures.process("loop").build()) {
      Execution first = isolate.start();
      assertThrows(IllegalStateException.class, isolate::start);
      first.kill();
      first.await();
      assertTrue(isolate.start() != null, "a new run may start once the first has ended");
    }
  }

  @Test
  void runsAgainAfterTheFirstRunEnded() {
    try (Isolate isolate = Fixtures.process("hello").build()) {
      assertTrue(isolate.run().isSuccess());
      assertTrue(isolate.run().isSuccess());
    }
  }

  @Test
  void reportsALibraryWithoutStartAsFailedToStart() {
    try (Isolate isolate = Fixtures.process("lib").hostFunction(WasmCallTest.HOST_ADD)
        .hostFunction(WasmCallTest.LOG_IGNORED).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination());
      assertTrue(r.detail().contains("no _start"), r::toString);
    }
  }

  @Test
  void stdioIsNoTerminal() {
    // an isolate's stdio is captured, a stream or a pipe, never a terminal: C's isatty() must say 0 (a program such
    // as SQLite's shell would otherwise turn interactive), so the filetype is not CHARACTER_DEVICE (2)
    for (io.isolate.Input stdin : List.of(io.isolate.Input.none(), io.isolate.Input.pipe())) {
      try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS)
          .workload(io.isolate.Workload.wasm(ModuleBytes.stdioFiletypes())).stdin(stdin).build()) {
        io.isolate.Execution e = isolate.start();
        if (stdin.kind() == io.isolate.Input.Kind.PIPE) {
          try {
            e.stdin().close();
          } catch (java.io.IOException ignored) {
            // the guest may have ended
          }
        }
        ExitResult r = e.await();
        assertEquals(Termination.EXITED, r.termination(), r::toString);
        assertEquals(0, r.exitCode(), "filetypes (0: unknown, 2: character device) packed: " + r.exitCode());
      }
    }
  }
}
