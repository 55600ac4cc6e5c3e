package io.isolate.junit5;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.platform.testkit.engine.EngineTestKit;

/** Per-test fixtures under JUnit's parallel mode: several isolates at once, each test with its own. */
class ParallelFixturesTest {

  @IsolateTest
  @Execution(ExecutionMode.CONCURRENT)
  static class Concurrent {
    @Fixture
    IsolateFixture echo = IsolateFixture.of(Isolate.builder().level(IsolationLevel.OS)
            .workload(Workload.command("/bin/sh", "-c", "echo ready; exec sleep 20")))
        .waitingFor(Wait.forLogLine("^ready$"));

    @RepeatedTest(6)
    void eachTestHasItsOwnRunningFixture() {
      if (!echo.isRunning() || !echo.output().equals("ready\n")) {
        throw new AssertionError("fixture not running on its own: " + echo.output());
      }
    }
  }

  @Test
  void sixTestsRunInParallelWithTheirOwnFixtures() {
    EngineTestKit.engine("junit-jupiter")
        .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
        .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
        .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", "4")
        .selectors(selectClass(Concurrent.class)).execute()
        .testEvents().assertStatistics(s -> s.started(6).succeeded(6).failed(0));
  }
}
