package io.isolate.junit5;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.LevelUnavailableException;
import io.isolate.Limits;
import io.isolate.Workload;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;
import org.opentest4j.TestAbortedException;

/** What the extension does when a fixture cannot start, is never ready, or its test fails. */
class FailureBehaviourTest {

  static Isolate.Builder os(String... command) {
    return Isolate.builder().level(IsolationLevel.OS)
        .workload(Workload.command(command[0], java.util.Arrays.copyOfRange(command, 1, command.length)))
        .limits(Limits.builder().wallTime(Duration.ofSeconds(30)).build());
  }

  @IsolateTest
  static class ExitsBeforeReady {
    @Fixture
    IsolateFixture quitter = IsolateFixture.of(os("/bin/sh", "-c", "echo boom; exit 3"))
        .waitingFor(Wait.forLogLine("ready"));

    @Test
    void neverRuns() {}
  }

  @IsolateTest
  static class NeverReady {
    @Fixture
    IsolateFixture silent = IsolateFixture.of(os("/bin/sleep", "30"))
        .waitingFor(Wait.forLogLine("never printed").withTimeout(Duration.ofMillis(300)));

    @Test
    void neverRuns() {}
  }

  @IsolateTest
  static class FailingTest {
    static IsolateFixture seen;

    @Fixture
    IsolateFixture sleeper = IsolateFixture.of(os("/bin/sleep", "30"));

    @Test
    void fails() {
      seen = sleeper;
      throw new AssertionError("deliberate");
    }
  }

  private static Events run(Class<?> testClass) {
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(testClass)).execute().testEvents();
  }

  @Test
  void aFixtureThatEndsBeforeItIsReadyFailsTheTestWithItsResult() {
    run(ExitsBeforeReady.class).assertThatEvents().haveExactly(1, event(finishedWithFailure(
        instanceOf(FixtureException.class), message(m -> m.contains("ended before it was ready")
            && m.contains("EXITED 3") && m.contains("boom")))));
  }

  @Test
  void aFixtureNeverReadyFailsAfterItsTimeout() {
    long t0 = System.nanoTime();
    run(NeverReady.class).assertThatEvents().haveExactly(1, event(finishedWithFailure(
        instanceOf(FixtureException.class), message(m -> m.contains("was not ready within PT0.3S")))));
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
  }

  @Test
  void aFailingTestStillStopsItsFixture() {
    run(FailingTest.class).assertThatEvents().haveExactly(1, event(finishedWithFailure(message("deliberate"))));
    assertFalse(FailingTest.seen.isRunning());
    assertFalse(FailingTest.seen.execution().orElseThrow().isAlive());
  }

  @Test
  void aLevelMissingOnThisHostSkipsOrFailsOnCi() {
    IsolateFixture paravirt = IsolateFixture.of(Isolate.builder().level(IsolationLevel.PARAVIRT)
        .workload(Workload.guestImage(new byte[] {1}, "image")));
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      assertThrows(LevelUnavailableException.class, () -> IsolateExtension.requireLevel(paravirt));
    } else {
      assertThrows(TestAbortedException.class, () -> IsolateExtension.requireLevel(paravirt));
    }
  }
}
