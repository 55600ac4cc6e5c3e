package io.isolate.container;

import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.isolate.conformance.LevelConformance;
import org.junit.jupiter.api.BeforeAll;

/** The conformance kit at OS, with the host's own programs under a read-only view of its root. */
class OsConformanceTest extends LevelConformance {
  @BeforeAll
  static void available() {
    Prerequisites.requireCgroups();
  }

  @Override
  protected Isolate.Builder builder(Workload workload) {
    return Isolate.builder().level(IsolationLevel.OS).workload(workload).env("PATH", "/usr/bin:/bin");
  }

  @Override
  protected Workload printer() {
    return Workload.command("/bin/echo", "hello");
  }

  @Override
  protected String printed() {
    return "hello\n";
  }

  @Override
  protected Workload exiter(int code) {
    return Workload.command("/bin/sh", "-c", "exit " + code);
  }

  @Override
  protected Workload cat() {
    return Workload.command("/bin/cat");
  }

  @Override
  protected Workload spinner() {
    return Workload.command("/bin/sh", "-c", "while :; do :; done");
  }

  @Override
  protected Workload flooder() {
    return Workload.command("/usr/bin/yes");
  }

  @Override
  protected Workload hoarder() {
    return Workload.command("/usr/bin/tail", "/dev/zero");
  }

  @Override
  protected Workload environmentPrinter() {
    return Workload.command("/usr/bin/env");
  }
}
