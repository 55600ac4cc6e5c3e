package io.isolate.examples.cli;

import io.isolate.DoctorReport;
import io.isolate.ExitResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** JSON forms of results and doctor reports, for {@code --json}. */
final class JsonResults {
  private JsonResults() {}

  static JsonObject of(ExitResult r) {
    JsonObject usage = new JsonObject().put("wallTimeMillis", r.usage().wallTime().toNanos() / 1e6);
    r.usage().cpuTime().ifPresent(c -> usage.put("cpuTimeMillis", c.toNanos() / 1e6));
    r.usage().peakMemoryBytes().ifPresent(m -> usage.put("peakMemoryBytes", m));
    JsonObject unsupported = new JsonObject();
    r.unsupportedCalls().forEach(unsupported::put);
    return new JsonObject()
        .put("termination", r.termination().name())
        .put("exitCode", r.exitCode())
        .put("detail", r.detail())
        .put("stdout", r.stdoutText())
        .put("stderr", r.stderrText())
        .put("usage", usage)
        .put("unsupportedCalls", unsupported);
  }

  static JsonArray of(DoctorReport report) {
    JsonArray levels = new JsonArray();
    report.levels().forEach(s -> levels.add(new JsonObject()
        .put("level", s.level().name())
        .put("provider", s.provider())
        .put("available", s.isAvailable())
        .put("explanation", s.explanation())));
    return levels;
  }
}
