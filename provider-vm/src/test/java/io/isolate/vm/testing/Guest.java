package io.isolate.vm.testing;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Workload;
import java.nio.file.Path;
import java.time.Duration;

/** Shorthands for running a guest program at the HARDWARE level through the public API. */
public final class Guest {
  private Guest() {}

  public static Isolate.Builder builder(Path program, String... args) {
    Prerequisites.requireKvm();
    return Isolate.builder().level(IsolationLevel.HARDWARE).workload(Workload.elf(program, args))
        .limits(Limits.builder().wallTime(Duration.ofSeconds(20)).build());
  }

  public static ExitResult run(Path program, String... args) {
    try (Isolate isolate = builder(program, args).build()) {
      return isolate.run();
    }
  }

  public static ExitResult run(Isolate.Builder builder) {
    try (Isolate isolate = builder.build()) {
      return isolate.run();
    }
  }

  public static ExitResult runWithStdin(Path program, byte[] stdin, String... args) {
    return run(builder(program, args).stdin(Input.of(stdin)));
  }

  public static ExitResult runWithMount(Path program, Mount mount, String... args) {
    return run(builder(program, args).mount(mount));
  }
}
