package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.Isolate;
import io.isolate.spi.DaemonThreads;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Once the last OS isolate is closed, the level's threads end by themselves: none is left for the JVM's life. */
class NoThreadsLeftTest {
  @BeforeAll
  static void available() {
    Prerequisites.requireOsLevel();
  }

  private static List<String> levelThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> n.startsWith("isolate-container") || n.startsWith("isolate-helper")
            || n.startsWith("isolate-unpack"))
        .sorted().collect(Collectors.toList());
  }

  @Test
  void noThreadOfTheLevelOutlivesItsIsolatesByMoreThanTheIdleTime() throws Exception {
    try (Isolate isolate = Os.command("/bin/echo", "blocking").build()) {
      isolate.run();
    }
    try (Isolate isolate = Os.sh("sleep 0.2; echo started").build()) {
      isolate.start().await();
    }
    long until = System.nanoTime() + (DaemonThreads.IDLE_SECONDS + 10) * 1_000_000_000L;
    while (!levelThreads().isEmpty() && System.nanoTime() < until) {
      Thread.sleep(250);
    }
    assertEquals(List.of(), levelThreads(), "threads left after the isolates were closed");
  }
}
