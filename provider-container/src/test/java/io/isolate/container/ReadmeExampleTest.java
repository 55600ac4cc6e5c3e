package io.isolate.container;

import static io.isolate.SizeUnit.MEGABYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Workload;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The example of this module's README and of {@link ContainerProvider}'s Javadoc, run as written. */
class ReadmeExampleTest {
  @Test
  void theReadmeExampleRuns() {
    Prerequisites.requireCgroups();
    String out;
    // --- README example ---
    try (Isolate isolate = Isolate.builder()
            .level(IsolationLevel.OS)
            .workload(Workload.command("/bin/sh", "-c", "echo hello from $(hostname)"))
            .limits(Limits.builder().memory(64, MEGABYTES).cpus(0.5).pids(32).wallTime(Duration.ofSeconds(5)).build())
            .build()) {
      out = isolate.run().stdoutText();
    }
    // --- end ---
    assertEquals("hello from isolate\n", out);
  }
}
