package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A real interpreter at PROCESS: Lua 5.4 ({@code fixtures/lua.wasm}, built by {@code src/main/c/lua/build.sh})
 * running a recursive fib(27) and a 200,000-element table loop, from start to exit, against Debian's native
 * {@code lua5.4} running the same script in the same JMH run. {@code isolate} runs in a JVM started with
 * {@code -XX:-DontCompileHugeMethods} (as the {@code isolate} command starts its own), {@code isolateJvmDefault} in
 * a JVM with HotSpot's defaults, where Lua's interpreter loop ({@code luaV_execute}, a 23,707-byte JVM method) is
 * never JIT-compiled: the difference is what that flag is worth (see {@code io.isolate.wasm.HugeMethods}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 5)
@Measurement(iterations = 5, time = 5)
public class LuaBenchmark {
  static final String SCRIPT = "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end "
      + "local t = {} for i = 1, 200000 do t[i] = i * 2 end "
      + "local s = 0 for i = 1, #t do s = s + t[i] end "
      + "print(fib(27), s)";
  static final String EXPECTED = "196418\t40000200000\n";

  private Isolate isolate;

  @Setup
  public void setUp() {
    isolate = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(Fixtures.resource("lua.wasm"), "-e", SCRIPT).withName("lua"))
        .limits(Limits.builder().memory(256, SizeUnit.MEGABYTES).wallTime(Duration.ofMinutes(2)).build())
        .build();
  }

  @Benchmark
  @Fork(value = 1, jvmArgsAppend = "-XX:-DontCompileHugeMethods")
  public String isolate() {
    return check(isolate.run());
  }

  @Benchmark
  @Fork(1)
  public String isolateJvmDefault() {
    return check(isolate.run());
  }

  @Benchmark
  @Fork(1)
  public int nativeLua() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("lua5.4", "-e", SCRIPT).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0 || !out.equals(EXPECTED)) {
      throw new IllegalStateException("native lua5.4 (apt-get install lua5.4) answered " + out);
    }
    return out.length();
  }

  private static String check(ExitResult r) {
    if (!r.isSuccess() || !r.stdoutText().equals(EXPECTED)) {
      throw new IllegalStateException("lua at PROCESS: " + r + " " + r.stdoutText());
    }
    return r.stdoutText();
  }
}
