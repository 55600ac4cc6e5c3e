package io.isolate.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Says the library's messages in the command's words: the API names a setting as a builder method
 * ({@code workingDir}, {@code acceptUnenforcedLimits(true)}), the command as a flag ({@code --workdir},
 * {@code --accept-unenforced-limits}). Every message the command prints goes through {@link #of}.
 */
final class FlagNames {
  private static final Map<Pattern, String> NAMES = new LinkedHashMap<>();

  static {
    name("acceptUnenforcedLimits\\(true\\)", "--accept-unenforced-limits");
    name("acceptUnenforcedLimits", "--accept-unenforced-limits");
    name("\\bcpus\\((\\d+)\\)", "--cpus $1");
    name("\\bworkingDir\\b", "--workdir");
    name("\\bwallTime\\b", "--timeout");
    name("\\bcpuTime\\b", "--cpu-time");
    name("\\bmemoryBytes\\b", "--memory");
    name("\\boutputBytes\\b", "--output");
    name("^memory \\(", "--memory (");
    name("^cpus \\(", "--cpus (");
    name("^pids \\(", "--pids (");
    name("^output \\(", "--output (");
    name("^hostname '", "--hostname '");
    name("^env name '", "--env name '");
    name("^env value of '", "--env value of '");
    name("^rootfs \\(", "--rootfs (");
    name("^network (NONE|LOOPBACK|HOST)\\b", "--net $1");
    name("\\bnetwork LOOPBACK\\b", "--net loopback");
    name("^level (PROCESS|OS|HARDWARE|PARAVIRT) runs", "--level $1 runs");
    name("mount guest path", "the GUEST path of --ro, --rw or --image");
    name("published (host|guest) port", "--publish $1 port");
  }

  private FlagNames() {}

  private static void name(String regex, String flag) {
    NAMES.put(Pattern.compile(regex), flag);
  }

  /** {@code message} with the API's names of settings replaced by the command's flags. */
  static String of(String message) {
    if (message == null) {
      return "";
    }
    String m = publishedPorts(message);
    for (Map.Entry<Pattern, String> e : NAMES.entrySet()) {
      m = e.getKey().matcher(m).replaceAll(e.getValue());
    }
    return m;
  }

  private static final Pattern PORT_LIST =
      Pattern.compile("published ports \\[((?:(?:[0-9]+|any)->[0-9]+(?:, )?)*)\\]");

  /**
   * "published ports [8080->80, any->443]" as the flags that made them: "--publish 8080:80 --publish 443".
   */
  private static String publishedPorts(String message) {
    Matcher m = PORT_LIST.matcher(message);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      StringBuilder flags = new StringBuilder();
      for (String pair : m.group(1).split(",\\s*")) {
        if (!pair.isBlank()) {
          String[] hostGuest = pair.trim().split("->");
          flags.append(flags.length() == 0 ? "" : " ").append("--publish ")
              .append(hostGuest[0].equals("any") ? hostGuest[1] : hostGuest[0] + ":" + hostGuest[1]);
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(flags.toString()));
    }
    m.appendTail(out);
    return out.toString();
  }
}
