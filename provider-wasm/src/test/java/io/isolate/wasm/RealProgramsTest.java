package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unmodified programs built from their upstream sources (src/test/c/real) run at PROCESS as they do natively. */
class RealProgramsTest {
  @TempDir Path dir;

  private static Isolate.Builder program(String name, String... args) {
    return Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(Fixtures.wasm("real/" + name), args).withName(name))
        .limits(Limits.builder().memory(256, SizeUnit.MEGABYTES).wallTime(Duration.ofMinutes(2))
            .output(64, SizeUnit.MEGABYTES).build());
  }

  @Test
  void luaRunsAScriptWithFunctionsTablesAndStrings() {
    String script = "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end "
        + "local t = {} for i = 1, 10000 do t[i] = i * 2 end local s = 0 for _, v in ipairs(t) do s = s + v end "
        + "print(fib(20), s, string.format('%5.2f', math.pi), ('abc'):rep(3):upper(), #arg)";
    try (Isolate lua = program("lua", "-e", script).build()) {
      ExitResult r = lua.run();
      assertTrue(r.isSuccess(), r::toString);
      // native lua5.4 -e SCRIPT prints the same line (#arg is 2: the "-e" and the script)
      assertEquals("6765\t100010000\t 3.14\tABCABCABC\t2\n", r.stdoutText());
    }
  }

  @Test
  void sqlitesShellCreatesIndexesJoinsAndQueriesAsNatively() {
    String sql = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);\n"
        + "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000)\n"
        + "INSERT INTO t(name, v) SELECT 'name' || x, x * 1.5 FROM c;\n"
        + "CREATE INDEX t_name ON t(name);\n"
        + "SELECT count(*), sum(v), max(length(name)) FROM t;\n"
        + "SELECT count(*) FROM t a JOIN t b ON a.id = b.id + 1 WHERE a.v > 100;\n"
        + "SELECT name FROM t WHERE name LIKE 'name199%' ORDER BY name LIMIT 3;\n";
    try (Isolate sqlite = program("sqlite3", "-batch", ":memory:").stdin(Input.of(sql)).build()) {
      ExitResult r = sqlite.run();
      assertTrue(r.isSuccess(), r + "\n" + r.stderrText());
      // what Debian's sqlite3 3.40 prints for the same input
      assertEquals("2000|3001500.0|8\n1934\nname199\nname1990\nname1991\n", r.stdoutText());
    }
  }

  @Test
  void minigzipCompressesWhatGunzipRestores() throws IOException {
    byte[] input = new byte[3 << 20];
    Random random = new Random(7);
    for (int i = 0; i < input.length; i++) {
      input[i] = (byte) ('a' + random.nextInt(8)); // compressible, not trivially
    }
    try (Isolate gzip = program("minigzip").stdin(Input.of(input)).build()) {
      ExitResult r = gzip.run();
      assertTrue(r.isSuccess(), r::toString);
      assertTrue(r.stdout().length < input.length / 2, "compressed to " + r.stdout().length);
      try (GZIPInputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(r.stdout()))) {
        assertArrayEquals(input, gunzip.readAllBytes());
      }
    }
  }

  @Test
  void zlibsOwnTestProgramPassesWritingItsFileThroughAMount() throws IOException {
    try (Isolate example = program("zlib-example", "/out/foo.gz").mount(Mount.readWrite(dir, "/out")).build()) {
      ExitResult r = example.run();
      assertTrue(r.isSuccess(), r + "\n" + r.stdoutText() + r.stderrText());
      String out = r.stdoutText();
      assertTrue(out.contains("uncompress(): hello, hello!") && out.contains("large_inflate(): OK")
          && out.contains("inflate with dictionary: hello, hello!"), out);
    }
    try (GZIPInputStream gunzip = new GZIPInputStream(Files.newInputStream(dir.resolve("foo.gz")))) {
      assertEquals("hello, hello!", new String(gunzip.readAllBytes(), StandardCharsets.UTF_8).replace("\0", ""));
    }
  }
}
