package io.isolate.container;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Isolates;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * Run by {@link DelegatedCgroupTest} in a JVM of a user who is not root: prints what the OS level's doctor line
 * says, how a workload pushed past a memory limit and one past a pids limit end (or why they were refused), and
 * the isolates' cgroups inside the delegated directory (the argument) while an isolate runs and after it closed.
 */
public final class DelegatedCgroupMain {
  private DelegatedCgroupMain() {}

  public static void main(String[] args) throws Exception {
    Path subtree = Path.of(args[0]);
    System.out.println("doctor: " + Isolates.availability(IsolationLevel.OS).explanation());
    System.out.println("memory: " + run(Limits.builder().memory(32, SizeUnit.MEGABYTES),
        "head -c 200000000 /dev/zero | tail > /dev/null; echo survived"));
    System.out.println("pids: " + run(Limits.builder().pids(16), "bomb() { bomb | bomb & }; bomb; sleep 15"));
    try (Isolate isolate = Os.sh("sleep 30").build()) {
      isolate.start();
      System.out.println("during: " + children(subtree));
    } catch (RuntimeException e) {
      System.out.println("during: refused: " + e.getMessage());
    }
    System.out.println("after: " + children(subtree));
  }

  private static String run(Limits.Builder limits, String script) {
    try (Isolate isolate = Os.sh(script).limits(limits.wallTime(Duration.ofSeconds(20)).build()).build()) {
      ExitResult r = isolate.run();
      return r.termination() + " " + r.detail();
    } catch (RuntimeException e) {
      return "refused: " + e.getMessage();
    }
  }

  private static List<String> children(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
