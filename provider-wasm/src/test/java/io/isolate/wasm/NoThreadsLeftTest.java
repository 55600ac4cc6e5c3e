package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Isolate;
import io.isolate.spi.DaemonThreads;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Once the last PROCESS isolate is closed, the level's threads (guests, compilers, the watchdog) end by themselves,
 * and the next isolate starts what it needs again.
 */
class NoThreadsLeftTest {
  private static List<String> levelThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> n.startsWith("isolate-wasm")).sorted().collect(Collectors.toList());
  }

  @Test
  void noThreadOfTheLevelOutlivesItsIsolatesByMoreThanTheIdleTime() throws Exception {
    try (Isolate isolate = Fixtures.process("hello").build()) {
      assertTrue(isolate.run().isSuccess());
    }
    try (Isolate isolate = Fixtures.process("hello").build()) {
      assertTrue(isolate.start().await().isSuccess());
    }
    long until = System.nanoTime() + (DaemonThreads.IDLE_SECONDS + 12) * 1_000_000_000L;
    while (!levelThreads().isEmpty() && System.nanoTime() < until) {
      Thread.sleep(250);
    }
    assertEquals(List.of(), levelThreads(), "threads left after the isolates were closed");
    try (Isolate isolate = Fixtures.process("loop").limits(io.isolate.Limits.builder()
        .wallTime(java.time.Duration.ofMillis(300)).build()).build()) {
      assertEquals(io.isolate.Termination.TIMEOUT, isolate.run().termination(),
          "the watchdog starts again for the next isolate");
    }
  }
}
