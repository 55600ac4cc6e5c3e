package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A real database engine at PROCESS: SQLite 3.44's shell ({@code fixtures/sqlite3.wasm}, provider-wasm's
 * real-program fixture, built as its {@code src/test/c/real/README.md} says) run as {@code sqlite3 -batch :memory:}
 * with {@link #SQL} on stdin: 100,000 rows inserted by a recursive CTE, two indexes built, then aggregates, a
 * self-join on the primary key and one through an index, from start to exit. Against Debian's native
 * {@code sqlite3} (3.40) running the same SQL in the same JMH run, the SQL written to its stdin as here. Both
 * outputs must equal what the native shell printed once in setup (the queries' answers do not depend on the
 * version). {@code isolate} runs in a JVM started with {@code -XX:-DontCompileHugeMethods} (as the {@code isolate}
 * command starts its own), {@code isolateJvmDefault} in a JVM with HotSpot's defaults, where SQLite's 21 functions
 * of more than 3,000 WebAssembly instructions are JVM methods too large to be JIT-compiled (see
 * {@code io.isolate.wasm.HugeMethods}). The flag matters less here than for Lua: SQLite's bytecode engine
 * ({@code sqlite3VdbeExec}, 22,514 instructions, a 59,983-byte JVM method) is too large even for the compilers the
 * flag lets at it: on OpenJDK 17 {@code -XX:+PrintCompilation} shows C1 ("out of virtual registers") and C2
 * ("out of nodes") giving up on it, their few on-stack-replacement compilations soon discarded, so it runs mostly in
 * the bytecode interpreter with the flag as without it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 5)
@Measurement(iterations = 5, time = 5)
public class SqliteBenchmark {
  // Multiples of 0.5 only, so that sums are exact and print alike whatever summation a version uses.
  static final String SQL = "CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, v REAL);\n"
      + "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000)\n"
      + "INSERT INTO t(grp, name, v) SELECT x % 97, 'name' || x, (x * 7919) % 10007 * 0.5 FROM c;\n"
      + "CREATE INDEX t_name ON t(name);\n"
      + "CREATE INDEX t_grp ON t(grp, v);\n"
      + "SELECT count(*), sum(v), max(length(name)) FROM t;\n"
      + "SELECT grp, count(*), round(avg(v), 3), min(name) FROM t GROUP BY grp ORDER BY sum(v) DESC LIMIT 5;\n"
      + "SELECT count(*), sum(a.v - b.v) FROM t a JOIN t b ON a.id = b.id + 1 WHERE a.grp = b.grp + 1;\n"
      + "SELECT name FROM t WHERE name LIKE 'name9999%' ORDER BY name LIMIT 3;\n"
      + "SELECT count(*) FROM t a JOIN t b ON b.name = 'name' || (a.id * 3) WHERE a.id % 10 = 0;\n";

  private String expected;
  private Isolate isolate;

  @Setup
  public void setUp() throws IOException, InterruptedException {
    // The answer, from the native shell: a wrong one from the isolate then fails the run, whatever it is.
    expected = runNative();
    if (!expected.startsWith("100000|")) {
      throw new IllegalStateException("native sqlite3 answered " + expected);
    }
    isolate = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(Fixtures.resource("sqlite3.wasm"), "-batch", ":memory:").withName("sqlite3"))
        .stdin(Input.of(SQL))
        .limits(Limits.builder().memory(256, SizeUnit.MEGABYTES).wallTime(Duration.ofMinutes(2)).build())
        .build();
  }

  @TearDown
  public void tearDown() {
    isolate.close();
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
  public int nativeSqlite() throws IOException, InterruptedException {
    String out = runNative();
    if (!out.equals(expected)) {
      throw new IllegalStateException("native sqlite3 answered " + out);
    }
    return out.length();
  }

  private static String runNative() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("sqlite3", "-batch", ":memory:").redirectErrorStream(true).start();
    // The SQL is far smaller than a pipe's buffer: writing it all before reading cannot block.
    try (OutputStream in = p.getOutputStream()) {
      in.write(SQL.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("native sqlite3 (apt-get install sqlite3) exited " + p.exitValue() + ": " + out);
    }
    return out;
  }

  private String check(ExitResult r) {
    if (!r.isSuccess() || !r.stdoutText().equals(expected)) {
      throw new IllegalStateException("sqlite3 at PROCESS: " + r + " " + r.stdoutText() + r.stderrText());
    }
    return r.stdoutText();
  }
}
