package io.isolate.cli;

import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.Rootfs;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The options of {@code isolate run} and {@code isolate call}, parsed once and turned into an
 * {@link Isolate.Builder}. Unknown options and missing values are errors that name the option.
 */
final class RunOptions {
  IsolationLevel level = IsolationLevel.PROCESS;
  final Limits.Builder limits = Limits.builder();
  final List<Mount> mounts = new ArrayList<>();
  final List<String[]> env = new ArrayList<>();
  final List<int[]> published = new ArrayList<>();
  Rootfs rootfs = Rootfs.hostReadOnly();
  Network network = Network.NONE;
  String hostname;
  int[] user;
  String workingDir;
  boolean json;
  boolean stdin;
  boolean acceptUnenforcedLimits;
  /** {@code --help} or {@code -h} came before the workload: print the command's usage instead. */
  boolean help;
  final List<String> positional = new ArrayList<>();

  /** Every option, for "did you mean" and the help text's test. */
  static final List<String> OPTIONS = List.of("--level", "--memory", "--output", "--cpus", "--pids", "--timeout",
      "--cpu-time", "--ro", "--rw", "--image", "--env", "--rootfs", "--net", "--publish", "--user", "--hostname",
      "--workdir",
      "--json", "--stdin", "--accept-unenforced-limits", "--help");

  static RunOptions parse(List<String> args) {
    RunOptions o = new RunOptions();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--help") || a.equals("-h")) {
        o.help = true;
        return o;
      }
      if (a.equals("--")) {
        o.positional.addAll(args.subList(i + 1, args.size()));
        break;
      }
      if (a.startsWith("-") && !a.startsWith("--") && a.length() > 1) {
        throw new InvalidSpecException("unknown option " + a + Suggest.didYouMean(a, OPTIONS)
            + "; options are spelled --name (isolate help run)");
      }
      if (!a.startsWith("--")) {
        // the first positional argument starts the workload's command line
        o.positional.addAll(args.subList(i, args.size()));
        break;
      }
      String name = a;
      String value = null;
      int eq = a.indexOf('=');
      if (eq > 0) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      }
      switch (name) {
        case "--json" -> o.json = true;
        case "--stdin" -> o.stdin = true;
        case "--accept-unenforced-limits" -> o.acceptUnenforcedLimits = true;
        default -> {
          if (!OPTIONS.contains(name)) {
            throw new InvalidSpecException("unknown option " + name + Suggest.didYouMean(name, OPTIONS)
                + " (isolate help run)");
          }
          if (value == null) {
            if (i + 1 >= args.size()) {
              throw new InvalidSpecException("option " + name + " needs a value");
            }
            value = args.get(++i);
          }
          try {
            o.apply(name, value);
          } catch (InvalidSpecException e) {
            throw flagged(name, e);
          }
        }
      }
    }
    return o;
  }

  private void apply(String name, String value) {
    switch (name) {
      case "--level" -> level = IsolationLevel.parse(value);
      case "--memory" -> limits.memoryBytes(SizeUnit.parseBytes(value));
      case "--output" -> limits.outputBytes(SizeUnit.parseBytes(value));
      case "--cpus" -> limits.cpus(parseDouble(name, value));
      case "--pids" -> limits.pids(parseInt(name, value, 1, Integer.MAX_VALUE));
      case "--timeout" -> limits.wallTime(parseDuration(name, value));
      case "--cpu-time" -> limits.cpuTime(parseDuration(name, value));
      case "--ro" -> mounts.add(Mount.parse(Mount.Kind.READ_ONLY, value));
      case "--rw" -> mounts.add(Mount.parse(Mount.Kind.READ_WRITE, value));
      case "--image" -> mounts.add(Mount.parse(Mount.Kind.IMAGE, value));
      case "--env" -> {
        int eq = value.indexOf('=');
        if (eq <= 0) {
          throw new InvalidSpecException("--env '" + value + "' must look like NAME=VALUE");
        }
        env.add(new String[] {value.substring(0, eq), value.substring(eq + 1)});
      }
      case "--rootfs" -> rootfs = Rootfs.parse(value);
      case "--net" -> network = switch (value.toLowerCase(Locale.ROOT)) {
        case "none" -> Network.NONE;
        case "loopback" -> Network.LOOPBACK;
        case "host" -> Network.HOST;
        default -> throw new InvalidSpecException("--net '" + value + "' is not one of none, loopback, host");
      };
      case "--publish" -> {
        String[] ports = value.split(":", -1);
        if (ports.length == 1) {
          published.add(new int[] {0, parseInt(name, ports[0], 1, 65535)}); // a free host port, said at start
        } else if (ports.length == 2) {
          published.add(new int[] {parseInt(name, ports[0], 0, 65535), parseInt(name, ports[1], 1, 65535)});
        } else {
          throw new InvalidSpecException("--publish '" + value + "' must look like HOST_PORT:GUEST_PORT or "
              + "GUEST_PORT (a free host port)");
        }
      }
      case "--hostname" -> hostname = value;
      case "--user" -> {
        String[] ids = value.split(":", -1);
        if (ids.length > 2) {
          throw new InvalidSpecException("--user '" + value + "' must look like UID or UID:GID");
        }
        int uid = parseInt(name, ids[0], 0, 65535);
        user = new int[] {uid, ids.length == 2 ? parseInt(name, ids[1], 0, 65535) : uid};
      }
      case "--workdir" -> workingDir = value;
      default -> throw new InvalidSpecException("unknown option " + name);
    }
  }

  /** The library's refusal of an option's value, said with the option's name (once) and in the command's words. */
  static InvalidSpecException flagged(String flag, InvalidSpecException e) {
    String message = FlagNames.of(e.getMessage());
    return new InvalidSpecException(message.startsWith(flag) ? message : flag + ": " + message);
  }

  private static double parseDouble(String name, String value) {
    try {
      double d = Double.parseDouble(value);
      if (!Double.isFinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new InvalidSpecException(name + " '" + value + "' is not a number");
    }
  }

  /** A whole number in [min, max], or an error naming the option. */
  private static int parseInt(String name, String value, int min, int max) {
    long n;
    try {
      n = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new InvalidSpecException(name + " '" + value + "' is not a whole number from " + min + " to " + max);
    }
    if (n < min || n > max) {
      throw new InvalidSpecException(name + " " + n + " is out of range: from " + min + " to " + max);
    }
    return (int) n;
  }

  /** The longest duration an option takes (the limits' own bound). */
  private static final Duration MAX_DURATION = Duration.ofDays(10_000);

  /**
   * Parses {@code 5s}, {@code 250ms}, {@code 2m}, {@code 1h}, or a plain number of seconds, for the option
   * {@code name}: positive and at most 10,000 days.
   */
  static Duration parseDuration(String name, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    String number = t;
    double unitMillis = 1000;
    if (t.endsWith("ms")) {
      number = t.substring(0, t.length() - 2);
      unitMillis = 1;
    } else if (t.endsWith("s")) {
      number = t.substring(0, t.length() - 1);
    } else if (t.endsWith("m")) {
      number = t.substring(0, t.length() - 1);
      unitMillis = 60_000;
    } else if (t.endsWith("h")) {
      number = t.substring(0, t.length() - 1);
      unitMillis = 3_600_000;
    } else if (t.endsWith("d")) {
      number = t.substring(0, t.length() - 1);
      unitMillis = 86_400_000;
    }
    double millis;
    try {
      millis = Double.parseDouble(number) * unitMillis;
    } catch (NumberFormatException e) {
      millis = Double.NaN;
    }
    if (Double.isNaN(millis) || number.isEmpty() || !Character.isDigit(number.charAt(number.length() - 1))) {
      throw new InvalidSpecException(name + " '" + text + "' is not a duration like 5s, 250ms, 2m or 1h");
    }
    if (!(millis >= 1) || millis > MAX_DURATION.toMillis()) {
      throw new InvalidSpecException(name + " '" + text + "' is out of range: from 1ms to "
          + MAX_DURATION.toDays() + "d");
    }
    return Duration.ofMillis(Math.round(millis));
  }

  /**
   * The workload named by the first positional argument, with the rest as its arguments; at the OS level with an
   * image as root and nothing after the options, the image's own command (Entrypoint and Cmd).
   */
  Workload workload() {
    if (positional.isEmpty() && level == IsolationLevel.OS && rootfs.kind() == Rootfs.Kind.OCI_IMAGE) {
      return Workload.imageCommand();
    }
    if (positional.isEmpty()) {
      throw new InvalidSpecException("no workload given: put it after the options, e.g. -- hello.wasm");
    }
    String first = positional.get(0);
    String[] rest = positional.subList(1, positional.size()).toArray(String[]::new);
    checkKind(first);
    return switch (level) {
      case PROCESS -> Workload.wasm(Path.of(first), rest);
      case OS -> Workload.command(first, rest);
      case HARDWARE -> Workload.elf(Path.of(first), rest);
      case PARAVIRT -> Workload.guestImage(Path.of(first), rest);
    };
  }

  /**
   * Refuses a workload file whose first bytes say it belongs to another level, naming that level: a Wasm module
   * given to HARDWARE, an ELF executable given to PROCESS. (An ELF program at PARAVIRT that was not built with the
   * guest SDK is refused by the level itself.)
   */
  private void checkKind(String workload) {
    if (level == IsolationLevel.OS) {
      return;
    }
    byte[] magic = new byte[4];
    try (var in = java.nio.file.Files.newInputStream(Path.of(workload))) {
      if (in.readNBytes(magic, 0, 4) < 4) {
        return;
      }
    } catch (java.io.IOException | RuntimeException e) {
      return; // not readable here: the level says why
    }
    boolean wasm = magic[0] == 0 && magic[1] == 'a' && magic[2] == 's' && magic[3] == 'm';
    boolean elf = magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
    if (wasm && level != IsolationLevel.PROCESS) {
      throw new InvalidSpecException(workload + " is a WebAssembly module, which runs at --level process, not "
          + "--level " + level.name().toLowerCase(Locale.ROOT));
    }
    if (elf && level == IsolationLevel.PROCESS) {
      throw new InvalidSpecException(workload + " is a Linux executable, not a WebAssembly module: run a static "
          + "program with --level hardware, any program with --level os, a guest image with --level paravirt");
    }
  }

  Isolate.Builder builder(Workload workload) {
    Isolate.Builder b = Isolate.builder().level(level).workload(workload).limits(limits.build())
        .acceptUnenforcedLimits(acceptUnenforcedLimits);
    for (Mount m : mounts) {
      try {
        b.mount(m);
      } catch (InvalidSpecException e) {
        String flag = switch (m.kind()) {
          case IMAGE -> "--image";
          case READ_WRITE -> "--rw";
          default -> "--ro";
        };
        throw flagged(flag, e);
      }
    }
    for (String[] kv : env) {
      try {
        b.env(kv[0], kv[1]);
      } catch (InvalidSpecException e) {
        throw flagged("--env", e);
      }
    }
    for (int[] p : published) {
      try {
        b.publishPort(p[0], p[1]);
      } catch (InvalidSpecException e) {
        throw flagged("--publish", e);
      }
    }
    if (level == IsolationLevel.OS) {
      b.rootfs(rootfs).network(network);
    } else if (network != Network.NONE || rootfs.kind() != Rootfs.Kind.HOST_READ_ONLY) {
      throw new InvalidSpecException("--net and --rootfs apply only to --level os");
    }
    try {
      if (hostname != null) {
        b.hostname(hostname);
      }
    } catch (InvalidSpecException e) {
      throw flagged("--hostname", e);
    }
    if (user != null) {
      if (level != IsolationLevel.OS) {
        throw new InvalidSpecException("--user applies only to --level os");
      }
      b.user(user[0], user[1]);
    }
    try {
      if (workingDir != null) {
        b.workingDir(workingDir);
      }
    } catch (InvalidSpecException e) {
      throw flagged("--workdir", e);
    }
    return b;
  }
}
