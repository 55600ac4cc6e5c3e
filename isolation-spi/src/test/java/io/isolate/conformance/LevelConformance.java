package io.isolate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolateEvent;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.Workload;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every isolation level promises, written once: each level's test extends this class and supplies
 * its own workloads (a module, a command, a static program, a guest image) for the same roles. Every limit is pushed
 * into by a workload, every kind of stdin is fed, nothing reaches the workload that was not granted, close is
 * idempotent, events come in order, and a kill ends a run whenever it comes.
 *
 * <p>The kit is published in the API's test-jar; a level that cannot show a behaviour says so by overriding the
 * matching {@code supports...} method, and the test then checks that the spec is refused rather than ignored.
 */
public abstract class LevelConformance {
  /** What a run may take beyond its limit: the watchdog's period, thread hand-offs, a busy build machine. */
  protected static final Duration SLACK = Duration.ofSeconds(3);

  /** A builder for this level with {@code workload} and whatever the level needs to run it (a root, a PATH). */
  protected abstract Isolate.Builder builder(Workload workload);

  /** Writes {@link #printed()} to stdout and exits 0. */
  protected abstract Workload printer();

  /** What {@link #printer()} writes. */
  protected abstract String printed();

  /** Exits with {@code code} (1 to 125) without output. */
  protected abstract Workload exiter(int code);

  /** Copies stdin to stdout until the end of stdin, then exits 0. */
  protected abstract Workload cat();

  /** Spins on the CPU forever. */
  protected abstract Workload spinner();

  /** Writes to stdout forever. */
  protected abstract Workload flooder();

  /** Allocates and touches memory without bound. */
  protected abstract Workload hoarder();

  /** Prints its environment, one {@code NAME=VALUE} per line (a prefix before the name is allowed). */
  protected abstract Workload environmentPrinter();

  /** Whether this level can limit CPU time. */
  protected boolean supportsCpuTime() {
    return true;
  }

  private static Limits.Builder limits() {
    return Limits.builder().wallTime(Duration.ofSeconds(30));
  }

  @Test
  void aWorkloadThatExitsReportsItsCodeAndItsOutput() {
    try (Isolate isolate = builder(printer()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertEquals(0, r.exitCode());
      assertEquals(printed(), r.stdoutText());
      assertTrue(r.isSuccess());
    }
    try (Isolate isolate = builder(exiter(3)).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertEquals(3, r.exitCode());
      assertFalse(r.isSuccess());
    }
  }

  @Test
  void everyKindOfStdinReachesTheWorkload() throws Exception {
    try (Isolate isolate = builder(cat()).build()) {
      assertEquals("", isolate.run().stdoutText(), "no stdin is an empty stdin");
    }
    try (Isolate isolate = builder(cat()).stdin(Input.of("bytes\n")).build()) {
      assertEquals("bytes\n", isolate.run().stdoutText());
    }
    try (Isolate isolate = builder(cat()).stdin(Input.from(new ByteArrayInputStream(
        "a stream\n".getBytes(StandardCharsets.UTF_8)))).build()) {
      assertEquals("a stream\n", isolate.run().stdoutText());
    }
    try (Isolate isolate = builder(cat()).stdin(Input.pipe()).build()) {
      Execution e = isolate.start();
      try (OutputStream in = e.stdin()) {
        in.write("through a pipe\n".getBytes(StandardCharsets.UTF_8));
      }
      ExitResult r = e.await(Duration.ofSeconds(30));
      assertEquals("through a pipe\n", r.stdoutText(), r::toString);
    }
  }

  @Test
  void theWallTimeLimitEndsASpinningWorkload() {
    Duration limit = Duration.ofMillis(500);
    try (Isolate isolate = builder(spinner()).limits(limits().wallTime(limit).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.TIMEOUT, r.termination(), r::toString);
      assertTrue(r.usage().wallTime().compareTo(limit) >= 0, r::toString);
      assertTrue(r.usage().wallTime().compareTo(limit.plus(SLACK)) < 0, r::toString);
      assertTrue(r.detail().contains(limit.toString()), "the detail names the limit: " + r.detail());
    }
  }

  @Test
  void theCpuTimeLimitEndsASpinningWorkloadBeforeItsWallTime() {
    Limits limits = limits().cpuTime(Duration.ofMillis(300)).wallTime(Duration.ofSeconds(20)).build();
    if (!supportsCpuTime()) {
      assertThrows(io.isolate.IsolateException.class, () -> builder(spinner()).limits(limits).build().close());
      return;
    }
    try (Isolate isolate = builder(spinner()).limits(limits).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.CPU_LIMIT, r.termination(), r::toString);
      assertTrue(r.usage().wallTime().compareTo(Duration.ofSeconds(10)) < 0, r::toString);
      assertTrue(r.detail().contains("PT0.3S"), "the detail names the limit: " + r.detail());
    }
  }

  @Test
  void theOutputLimitEndsAFloodAndKeepsWhatFits() {
    try (Isolate isolate = builder(flooder()).limits(limits().output(64, SizeUnit.KILOBYTES).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.OUTPUT_LIMIT, r.termination(), r::toString);
      assertEquals(64 << 10, r.stdout().length + r.stderr().length, "exactly the budget is kept");
      assertTrue(r.detail().contains("64 KiB"), "the detail names the limit: " + r.detail());
    }
  }

  @Test
  void theMemoryLimitEndsAHoarder() {
    try (Isolate isolate = builder(hoarder()).limits(limits().memory(32, SizeUnit.MEGABYTES).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.MEMORY_LIMIT, r.termination(), r::toString);
      assertTrue(r.detail().contains("32 MiB"), "the detail names the limit: " + r.detail());
      r.usage().peakMemoryBytes().ifPresent(peak -> assertTrue(peak >= 16L << 20 && peak <= 40L << 20,
          "peak memory " + peak + " near the limit"));
    }
  }

  @Test
  void theWorkloadSeesOnlyTheEnvironmentItWasGiven() {
    try (Isolate isolate = builder(environmentPrinter()).env("CONFORMANCE_MARKER", "granted").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertTrue(r.stdoutText().contains("CONFORMANCE_MARKER=granted"), r.stdoutText());
      for (String name : List.of("HOME", "USER", "LOGNAME", "SHELL", "MAVEN_OPTS", "JAVA_HOME", "MAVEN_CMD_LINE_ARGS")) {
        String value = System.getenv(name);
        if (value != null && !value.isEmpty()) {
          assertFalse(r.stdoutText().contains(name + "=" + value), "the host's " + name + " leaked in");
        }
      }
    }
  }

  @Test
  void aKillEndsTheRunWhenItComesAndIsIdempotent() {
    try (Isolate isolate = builder(spinner()).build()) {
      Execution e = isolate.start();
      e.kill(); // at once: the run may still be starting
      ExitResult r = e.await(Duration.ofSeconds(30));
      assertEquals(Termination.KILLED, r.termination(), r::toString);
      assertFalse(e.isAlive());
      e.kill();
      assertEquals(r, e.await());
    }
    try (Isolate isolate = builder(spinner()).build()) {
      Execution e = isolate.start();
      sleep(300); // well into the run
      e.kill();
      assertEquals(Termination.KILLED, e.await(Duration.ofSeconds(30)).termination());
    }
  }

  @Test
  void closeKillsTheRunIsIdempotentAndEndsTheIsolate() {
    Isolate isolate = builder(spinner()).build();
    Execution e = isolate.start();
    isolate.close();
    isolate.close();
    assertEquals(Termination.KILLED, e.await(Duration.ofSeconds(30)).termination());
    assertThrows(IllegalStateException.class, isolate::run);
  }

  @Test
  void eventsComeInOrder() {
    List<IsolateEvent> events = new CopyOnWriteArrayList<>();
    String id;
    try (Isolate isolate = builder(printer()).events(events::add).build()) {
      id = isolate.id();
      assertTrue(isolate.run().isSuccess());
    }
    assertEquals(List.of(IsolateEvent.Type.CREATED, IsolateEvent.Type.STARTED, IsolateEvent.Type.EXITED,
        IsolateEvent.Type.CLOSED), events.stream().filter(ev -> ev.isolateId().equals(id)).map(IsolateEvent::type)
        .collect(Collectors.toList()));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
