package io.isolate.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Workload;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;

/** Static fixtures are shared by the class; instance fixtures are fresh for every test. */
@IsolateTest
class LifecycleTest {
  static final Set<String> SHARED_IDS = ConcurrentHashMap.newKeySet();
  static final Set<String> PER_TEST_IDS = ConcurrentHashMap.newKeySet();

  static Isolate.Builder sleeper() {
    return Isolate.builder().level(IsolationLevel.OS).workload(Workload.command("/bin/sleep", "60"))
        .limits(Limits.builder().wallTime(Duration.ofMinutes(2)).build());
  }

  @Fixture
  static IsolateFixture shared = IsolateFixture.of(sleeper());

  @Fixture
  IsolateFixture perTest = IsolateFixture.of(sleeper());

  @RepeatedTest(3)
  void seesBothFixturesRunning() {
    assertTrue(shared.isRunning());
    assertTrue(perTest.isRunning());
    SHARED_IDS.add(shared.isolate().id());
    PER_TEST_IDS.add(perTest.isolate().id());
  }

  @AfterAll
  static void sharedOnceFreshPerTest() {
    assertEquals(1, SHARED_IDS.size(), SHARED_IDS.toString());
    assertEquals(3, PER_TEST_IDS.size(), PER_TEST_IDS.toString());
  }
}
