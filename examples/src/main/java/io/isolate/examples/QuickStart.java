package io.isolate.examples;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The README's quick start, compiled and run by the build so that it cannot rot: hash some bytes with an
 * untrusted WebAssembly program under hard limits.
 */
public final class QuickStart {
  private QuickStart() {}

  /** Runs {@code module} (a WASI program printing the SHA-256 of its stdin) on {@code input}. */
  public static String sha256(Path module, byte[] input) {
    // README:begin
    try (Isolate isolate = Isolate.builder()
        .level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(module))
        .stdin(Input.of(input))
        .limits(Limits.builder().memory(16, SizeUnit.MEGABYTES).wallTime(Duration.ofSeconds(5)).build())
        .build()) {
      ExitResult r = isolate.run();
      if (!r.isSuccess()) {
        throw new IllegalStateException(r.termination() + ": " + r.detail());
      }
      return r.stdoutText().split(" ")[0];
    }
    // README:end
  }

  public static void main(String[] args) throws Exception {
    System.out.println(sha256(Path.of(args[0]), System.in.readAllBytes()));
  }
}
