package io.isolate.container.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isolate.container.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an image's configuration sets for its processes (Env, WorkingDir, Entrypoint, Cmd, User), read leniently where
 * Docker is (an odd Env entry is skipped) and strictly where a wrong reading would run something else (a malformed
 * Entrypoint or Cmd is kept as a problem, said when a workload asks for the image's command).
 */
final class ImageConfig {
  private ImageConfig() {}

  /** The prepared image: {@code layers} with the defaults {@code config} sets. */
  static ImageStore.PreparedImage prepared(List<Path> layers, ObjectNode config, String image) throws IOException {
    String where = "the configuration of " + image;
    ObjectNode process = Json.object(config, "config", where);
    if (process == null) {
      process = JsonNodeFactory.instance.objectNode();
    }
    List<String> env = new ArrayList<>();
    ArrayNode envArray = Json.array(process, "Env", where);
    for (int i = 0; envArray != null && i < envArray.size(); i++) {
      String entry = Json.text(envArray, i);
      if (entry != null && entry.indexOf('=') > 0 && entry.indexOf('\0') < 0) {
        env.add(entry);
      }
    }
    String workingDir = Json.string(process, "WorkingDir", where);
    String user = Json.string(process, "User", where);
    int stopSignal = signalNumber(Json.string(process, "StopSignal", where));
    List<Integer> exposed = new ArrayList<>();
    ObjectNode ports = Json.object(process, "ExposedPorts", where);
    for (java.util.Iterator<String> it = ports == null ? java.util.Collections.emptyIterator() : ports.fieldNames();
        it.hasNext() && exposed.size() < MAX_EXPOSED; ) {
      String port = it.next().toLowerCase(java.util.Locale.ROOT); // "6379/tcp", "53/udp", "80"
      String number = port.endsWith("/tcp") ? port.substring(0, port.length() - 4) : port;
      if (number.matches("[0-9]{1,5}") && Integer.parseInt(number) >= 1 && Integer.parseInt(number) <= 65535
          && !exposed.contains(Integer.parseInt(number))) {
        exposed.add(Integer.parseInt(number)); // other protocols are not published: the relay is TCP
      }
    }
    List<String> entrypoint;
    List<String> cmd;
    String commandProblem = null;
    try {
      entrypoint = strings(process, "Entrypoint");
      cmd = strings(process, "Cmd");
    } catch (IOException malformed) {
      // matters only to a workload that runs the image's command: refused then, with this reason
      entrypoint = List.of();
      cmd = List.of();
      commandProblem = malformed.getMessage();
    }
    return new ImageStore.PreparedImage(layers, List.copyOf(env),
        workingDir == null || workingDir.isBlank() ? null : workingDir, entrypoint, cmd, commandProblem,
        user == null || user.isBlank() ? null : user, stopSignal, List.copyOf(exposed));
  }

  /** At most this many of an image's ExposedPorts are published (each takes a host port and a relay process). */
  static final int MAX_EXPOSED = 16;

  private static final List<String> SIGNALS = List.of("", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
      "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
      "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS");

  /**
   * A StopSignal ({@code SIGINT}, {@code INT}, {@code 2}) as its number; 0 for none, for one that cannot be caught
   * or sent as a stop (KILL, STOP), or for a name this level does not know (the stop then sends SIGTERM).
   */
  static int signalNumber(String name) {
    if (name == null || name.isBlank()) {
      return 0;
    }
    String n = name.trim().toUpperCase(java.util.Locale.ROOT);
    int number;
    if (n.matches("[0-9]{1,2}")) {
      number = Integer.parseInt(n);
    } else {
      number = SIGNALS.indexOf(n.startsWith("SIG") ? n.substring(3) : n);
    }
    return number <= 0 || number > 64 || number == 9 || number == 19 ? 0 : number;
  }

  /** A list of strings in the image configuration, empty when absent or null; anything else is malformed. */
  private static List<String> strings(ObjectNode process, String field) throws IOException {
    JsonNode value = process.get(field);
    if (value == null || value.isNull()) {
      return List.of();
    }
    if (!value.isArray()) {
      throw new IOException("the image configuration's " + field + " is not a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : value) {
      if (!item.isTextual() || item.textValue().indexOf('\0') >= 0) {
        throw new IOException("the image configuration's " + field + " holds " + item + ", not a string without NUL");
      }
      out.add(item.textValue());
    }
    return List.copyOf(out);
  }
}
