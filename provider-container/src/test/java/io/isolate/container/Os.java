package io.isolate.container;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Workload;
import java.time.Duration;

/** Shared test fixtures: a builder for OS isolates with the defaults tests want. */
final class Os {
  private Os() {}

  static Isolate.Builder sh(String script) {
    return command("/bin/sh", "-c", script);
  }

  static Isolate.Builder command(String program, String... args) {
    return Isolate.builder().level(IsolationLevel.OS).workload(Workload.command(program, args))
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .limits(Limits.builder().wallTime(Duration.ofSeconds(20)).build());
  }
}
