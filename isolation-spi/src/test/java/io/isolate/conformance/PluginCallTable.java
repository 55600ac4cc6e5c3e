package io.isolate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The call table that the guest SDK's example plugins answer alike at every level that runs them
 * ({@code guest-sdk/examples/calls.tsv}): one reader and one check for the PROCESS test, the PARAVIRT test and the
 * PARAVIRT SDK harness, so that "the same plugin answers the same calls" is one definition.
 */
public final class PluginCallTable {
  /** What the host gives the {@code kv} plugin: its host function's store and its configuration. */
  public static final Map<String, String> KV_STORE = Map.of("alpha", "one", "beta", "two");
  public static final Map<String, String> KV_CONFIG = Map.of("prefix", "value: ", "mode", "strict");

  /** A call of the table: a failure's outcome is text its message must hold after "FAILED: ". */
  public record Row(String plugin, String handler, byte[] input, String outcome, boolean fails, String line) {}

  /** Calls one handler of a live plugin; throws when the call fails. */
  @FunctionalInterface
  public interface Caller {
    byte[] call(String handler, byte[] input) throws Exception;
  }

  private PluginCallTable() {}

  /** The table, found from a module directory of the repository (the test's working directory). */
  public static Path file() {
    return Path.of("").toAbsolutePath().resolveSibling("guest-sdk").resolve("examples/calls.tsv");
  }

  /** The rows of {@code plugin}. */
  public static List<Row> rows(String plugin) {
    try {
      return Files.readAllLines(file()).stream()
          .filter(line -> !line.startsWith("#") && !line.isBlank())
          .map(line -> {
            String[] c = line.split("\t", -1);
            return new Row(c[0], c[1], unescape(c[2]).getBytes(StandardCharsets.UTF_8), unescape(c[3].substring(2)),
                c[3].startsWith("!"), line);
          })
          .filter(row -> row.plugin().equals(plugin))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The key-value store's host function body: the value of a key, or an exception naming it. */
  public static byte[] kvGet(byte[] key) {
    String value = KV_STORE.get(new String(key, StandardCharsets.UTF_8));
    if (value == null) {
      throw new IllegalArgumentException("no key " + new String(key, StandardCharsets.UTF_8));
    }
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Makes every call of {@code plugin}'s rows through {@code caller} and checks its outcome.
   *
   * @return how many calls were checked
   */
  public static int check(String plugin, Caller caller) {
    List<Row> rows = rows(plugin);
    assertTrue(!rows.isEmpty(), "no rows for " + plugin + " in " + file());
    for (Row row : rows) {
      byte[] reply;
      try {
        reply = caller.call(row.handler(), row.input());
      } catch (Exception e) {
        String message = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : " " + e.getCause());
        assertTrue(row.fails() && message.contains("FAILED: ") && message.contains(row.outcome()),
            row.line() + ": " + message);
        continue;
      }
      if (row.fails()) {
        fail(row.line() + ": answered " + new String(reply, StandardCharsets.UTF_8));
      }
      assertEquals(row.outcome(), new String(reply, StandardCharsets.UTF_8), row.line());
    }
    return rows.size();
  }

  private static String unescape(String s) {
    return s.replace("\\n", "\n");
  }
}
