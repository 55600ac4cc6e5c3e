package io.isolate.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isolate.DoctorReport;
import io.isolate.ExitResult;

/** JSON forms of results and doctor reports, for {@code --json}. */
final class JsonResults {
  private static final JsonMapper JSON = new JsonMapper();

  private JsonResults() {}

  static String of(ExitResult r) {
    ObjectNode result = JSON.createObjectNode()
        .put("termination", r.termination().name())
        .put("exitCode", r.exitCode())
        .put("detail", r.detail())
        .put("stdout", r.stdoutText())
        .put("stderr", r.stderrText());
    ObjectNode usage = result.putObject("usage").put("wallTimeMillis", r.usage().wallTime().toNanos() / 1e6);
    r.usage().cpuTime().ifPresent(c -> usage.put("cpuTimeMillis", c.toNanos() / 1e6));
    r.usage().peakMemoryBytes().ifPresent(m -> usage.put("peakMemoryBytes", m));
    ObjectNode unsupported = result.putObject("unsupportedCalls");
    r.unsupportedCalls().forEach(unsupported::put);
    return result.toPrettyString();
  }

  static String of(DoctorReport report) {
    ArrayNode levels = JSON.createArrayNode();
    report.levels().forEach(s -> levels.addObject()
        .put("level", s.level().name())
        .put("provider", s.provider())
        .put("available", s.isAvailable())
        .put("explanation", s.explanation()));
    return levels.toPrettyString();
  }
}
