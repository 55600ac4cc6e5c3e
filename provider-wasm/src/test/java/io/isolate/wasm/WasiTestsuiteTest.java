package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public WASI test suite's preview-1 cases (WebAssembly/wasi-testsuite, its prebuilt {@code wasm32-wasip1}
 * binaries and JSON specs, beside the repository in {@code ../shared/wasi-testsuite}, or where
 * {@code -Disolate.test.wasiTestsuite} says) run at the PROCESS level by the runner's rules: {@code args} and
 * {@code env} given, the spec's {@code root} directory (copied, since cases write into it) preopened as {@code /},
 * and a case passes when its exit code (default 0) and its stdout (when the spec gives one) match.
 *
 * <p>Every case must pass except those in {@link #KNOWN_FAILURES} (none today), each a gap of the PROCESS level's
 * WASI: the test fails on a new failure, and on a known one that now passes (so that the list only shrinks). The count
 * is printed.
 */
class WasiTestsuiteTest {
  /**
   * Cases that fail today, by suite and name: none. The six that once did (opening a file with O_APPEND for pwrite,
   * fd_fdstat_set_flags, hard links to symbolic links, symbolic links with trailing slashes, the times of a symbolic
   * link, rights on truncation) are answered by {@link WasiFileCalls}. A case added here must say why it fails.
   */
  static final Set<String> KNOWN_FAILURES = Set.of();

  @TempDir Path tmp;

  static Path suite() {
    String configured = System.getProperty("isolate.test.wasiTestsuite");
    Path dir = configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "wasi-testsuite", "tests");
    if (!Files.isDirectory(dir)) {
      if ("true".equals(System.getenv("CI"))) {
        fail("CI=true: the WASI test suite is not at " + dir.toAbsolutePath());
      }
      Assumptions.abort("the WASI test suite is not at " + dir.toAbsolutePath());
    }
    return dir;
  }

  @Test
  void everyPreview1CaseOfThePublicSuitePasses() throws Exception {
    Path suite = suite();
    List<Path> cases = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(suite)) {
      walk.filter(p -> p.toString().endsWith(".wasm") && p.getParent().getFileName().toString()
          .equals("wasm32-wasip1")).sorted().forEach(cases::add);
    }
    ObjectMapper json = new ObjectMapper();
    Set<String> failed = new TreeSet<>();
    StringBuilder why = new StringBuilder();
    int passed = 0;
    for (Path wasm : cases) {
      String name = suite.relativize(wasm).toString().replace("/testsuite/wasm32-wasip1/", ":").replace(".wasm", "");
      Path specFile = wasm.resolveSibling(wasm.getFileName().toString().replace(".wasm", ".json"));
      JsonNode spec = Files.exists(specFile) ? json.readTree(specFile.toFile()) : json.createObjectNode();
      String problem = run(wasm, spec);
      if (problem == null) {
        passed++;
      } else {
        failed.add(name);
        why.append("\n  ").append(name).append(": ").append(problem);
      }
    }
    System.out.println("WASI test suite, preview 1: " + passed + " of " + cases.size() + " cases pass at PROCESS"
        + (failed.isEmpty() ? "" : "; failing:" + why));
    Set<String> newFailures = new TreeSet<>(failed);
    newFailures.removeAll(KNOWN_FAILURES);
    Set<String> nowPassing = new TreeSet<>(KNOWN_FAILURES);
    nowPassing.removeAll(failed);
    assertEquals(Set.of(), newFailures, "cases that fail and are not known to:" + why);
    assertEquals(Set.of(), nowPassing, "known failures that pass now: take them off KNOWN_FAILURES");
  }

  /** Runs one case; null when it passes, else what differed. */
  private String run(Path wasm, JsonNode spec) throws IOException {
    List<String> args = new ArrayList<>();
    spec.path("args").forEach(a -> args.add(a.asText()));
    Isolate.Builder b = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(wasm, args.toArray(String[]::new)))
        .limits(Limits.builder().wallTime(Duration.ofSeconds(60)).build());
    for (Iterator<Map.Entry<String, JsonNode>> it = spec.path("env").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      b.env(e.getKey(), e.getValue().asText());
    }
    if (spec.has("root")) {
      Path copy = Files.createTempDirectory(tmp, "root");
      copyTree(wasm.resolveSibling(spec.get("root").asText()), copy);
      b.mount(Mount.readWrite(copy, "/"));
    }
    ExitResult r;
    try (Isolate isolate = b.build()) {
      r = isolate.run();
    } catch (RuntimeException e) {
      return "could not run: " + e;
    }
    int expectedCode = spec.path("exit_code").asInt(0);
    if (r.exitCode() != expectedCode) {
      return "exit code " + r.exitCode() + " (" + r.termination() + (r.detail().isEmpty() ? "" : ": "
          + r.detail().lines().findFirst().orElse("")) + "), expected " + expectedCode
          + (r.stderrText().isBlank() ? "" : "; stderr: " + String.join(" / ", r.stderrText().strip().lines()
              .limit(3).toList()));
    }
    if (spec.has("stdout") && !spec.get("stdout").asText().equals(r.stdoutText())) {
      return "stdout '" + r.stdoutText() + "', expected '" + spec.get("stdout").asText() + "'";
    }
    return null;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
          target.toFile().setWritable(true, true);
        } else {
          Files.copy(p, target);
          target.toFile().setWritable(true, true);
        }
      }
    }
  }
}
