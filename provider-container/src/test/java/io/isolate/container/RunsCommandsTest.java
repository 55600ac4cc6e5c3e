package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.Termination;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RunsCommandsTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireOsLevel();
  }

  @Test
  void runsTrueAndReportsExitCodeZero() {
    try (Isolate isolate = Os.command("/bin/true").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertEquals(0, r.exitCode());
    }
  }

  @Test
  void capturesStdoutAndStderrAndTheExitCode() {
    try (Isolate isolate = Os.sh("echo out; echo err >&2; exit 7").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertEquals(7, r.exitCode());
      assertEquals("out\n", r.stdoutText());
      assertEquals("err\n", r.stderrText());
    }
  }

  @Test
  void feedsStdinToTheWorkload() {
    try (Isolate isolate = Os.command("/usr/bin/tr", "a-z", "A-Z").stdin(Input.of("hello")).build()) {
      assertEquals("HELLO", isolate.run().stdoutText());
    }
  }

  @Test
  void streamsStdinFromAndStdoutToApplicationStreams() {
    var sink = new java.io.ByteArrayOutputStream();
    try (Isolate isolate = Os.command("/usr/bin/rev")
        .stdin(Input.from(new java.io.ByteArrayInputStream("abc\n".getBytes(StandardCharsets.UTF_8))))
        .stdout(io.isolate.Output.to(sink)).stderr(io.isolate.Output.discard()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertEquals(0, r.stdout().length, "not captured when streamed");
    }
    assertEquals("cba\n", sink.toString(StandardCharsets.UTF_8));
  }

  @Test
  void pipeStdinIsWrittenWhileTheWorkloadRuns() throws Exception {
    try (Isolate isolate = Os.command("/bin/cat").stdin(Input.pipe()).build()) {
      var execution = isolate.start();
      execution.stdin().write("streamed".getBytes(StandardCharsets.UTF_8));
      execution.stdin().close();
      assertEquals("streamed", execution.await().stdoutText());
    }
  }

  @Test
  void seesOnlyTheGivenEnvironmentHostnameAndWorkingDirectory() {
    try (Isolate isolate = Os.sh("echo $FOO; hostname; pwd; env | wc -l").env("FOO", "bar").hostname("box")
        .workingDir("/usr").build()) {
      ExitResult r = isolate.run();
      assertEquals("bar\nbox\n/usr\n", r.stdoutText().substring(0, r.stdoutText().lastIndexOf("/usr") + 5), r::toString);
    }
  }

  @Test
  void aBareProgramNameIsFoundWithoutAnyEnvironment() {
    try (Isolate isolate = Isolate.builder().level(io.isolate.IsolationLevel.OS)
        .workload(io.isolate.Workload.command("echo", "found")).build()) {
      assertEquals("found\n", isolate.run().stdoutText());
    }
  }

  @Test
  void aMissingWorkingDirectoryFailsToStartNamingIt() {
    try (Isolate isolate = Os.command("/bin/true").workingDir("/no/such/dir").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination(), r::toString);
      assertTrue(r.detail().contains("chdir(/no/such/dir)"), r.detail());
    }
  }

  @Test
  void aMissingProgramFailsToStartWithTheReason() {
    try (Isolate isolate = Os.command("/no/such/program").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination(), r::toString);
      assertTrue(r.detail().contains("/no/such/program") && r.detail().contains("No such file"), r.detail());
    }
  }

  @Test
  void aWorkloadKilledBySegfaultIsAFault() {
    try (Isolate isolate = Os.sh("kill -SEGV $$").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAULT, r.termination(), r::toString);
      assertEquals(128 + 11, r.exitCode());
    }
  }

  @Test
  void runsIsolatesConcurrentlyFromManyThreads() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      var results = new java.util.ArrayList<java.util.concurrent.Future<String>>();
      for (int i = 0; i < 32; i++) {
        int n = i;
        results.add(pool.submit(() -> {
          try (Isolate isolate = Os.sh("echo " + n).build()) {
            return isolate.run().stdoutText();
          }
        }));
      }
      for (int i = 0; i < 32; i++) {
        assertEquals(i + "\n", results.get(i).get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void canRunTheSameIsolateTwice() {
    try (Isolate isolate = Os.sh("echo again").build()) {
      assertEquals("again\n", isolate.run().stdoutText());
      assertEquals("again\n", isolate.run().stdoutText());
    }
  }

  @Test
  void reportsWallTimeCpuTimeAndPeakMemory() {
    try (Isolate isolate = Os.sh("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done").build()) {
      ExitResult r = isolate.run();
      assertTrue(r.usage().cpuTime().isPresent(), r::toString);
      assertTrue(r.usage().cpuTime().get().toMillis() > 1, r::toString);
      assertTrue(r.usage().peakMemoryBytes().orElse(0) > 100_000, r::toString);
    }
  }

  @Test
  void runsAsTheUserAskedForWithoutRootsGroups() {
    Prerequisites.requireOsLevel();
    Prerequisites.require(io.isolate.container.helper.HelperBinary.currentUid() == 0,
        "a JVM running as root (mapping a range of ids needs it)");
    ExitResult r;
    try (Isolate isolate = Os.command("/bin/sh", "-c", "id -u; id -g; id -G; touch /tmp/mine && stat -c %u /tmp/mine")
        .mount(io.isolate.Mount.tmpfs("/tmp", 1 << 20)).user(999, 998).build()) {
      r = isolate.run();
    }
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals("999\n998\n998\n999\n", r.stdoutText(), r::toString);
  }

  @Test
  void aGracefulStopLetsTheWorkloadEndAsItChoosesAndKillsItAfterTheGrace() throws Exception {
    try (Isolate isolate = Os.command("/bin/sh", "-c",
        "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done").build()) {
      io.isolate.Execution e = isolate.start();
      Thread.sleep(300); // the shell sets its trap first
      e.stop(java.time.Duration.ofSeconds(10));
      ExitResult r = e.await();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertEquals(3, r.exitCode(), r::toString);
      assertTrue(r.stdoutText().contains("got-term"), r::toString);
    }
    try (Isolate isolate = Os.command("/bin/sh", "-c", "trap '' TERM; echo ready; sleep 30").build()) {
      io.isolate.Execution e = isolate.start();
      Thread.sleep(300); // the shell sets its trap first
      long t0 = System.nanoTime();
      e.stop(java.time.Duration.ofMillis(300));
      ExitResult r = e.await();
      assertEquals(Termination.KILLED, r.termination(), "ignored SIGTERM, killed after the grace: " + r);
      assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "within seconds of the grace");
    }
  }
}
