package io.isolate.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** What {@code isolate help COMMAND}, {@code COMMAND --help} and {@code --version} print. */
final class Help {
  static final List<String> COMMANDS = List.of("run", "call", "doctor", "demo", "help", "version", "completion");

  private static final String RUN_OPTIONS = """
        --level process|os|hardware|paravirt   the isolation level (default process)
        --memory SIZE          memory limit, e.g. 64m (default 64m)
        --timeout DURATION     wall-time limit, e.g. 5s, 250ms, 2m (default 30s)
        --cpu-time DURATION    CPU-time limit (default none)
        --cpus N               CPU share, e.g. 0.5 (os; default 1)
        --pids N               most processes and threads (os; default 64)
        --output SIZE          most bytes of stdout and stderr together (default 16m)
        --env NAME=VALUE       an environment variable (repeatable)
        --ro HOST:GUEST        a host directory, read-only (repeatable)
        --rw HOST:GUEST        a host directory, read-write (repeatable)
        --image FILE:GUEST     a host file as a read-only disk or file (repeatable)
        --rootfs host|DIR|oci:PATH[:TAG]|docker://[HOST[:PORT]/]NAME[:TAG|@DIGEST]
                                           the root file system (os): the host's, a directory, an image
                                           file, or an image pulled from a registry
        --net none|loopback|host           the network (os; default none)
        --publish [HOST:]GUEST publish a guest port on a host port, or on a free one said at start
                               (os, with --net loopback)
        --user UID[:GID]       the workload's user inside the isolate (os; default the image's, else 0)
        --hostname NAME        the isolate's host name
        --workdir DIR          the working directory inside the isolate
        --accept-unenforced-limits         run even where this host cannot enforce a limit
        --json                 print the result as JSON
        --stdin                pass this command's stdin to the workload (call: the input)
        --help, -h             this help
      """;

  private static final Map<String, String> USAGES = Map.of(
      "run", """
          usage: isolate run [OPTIONS] [--] WORKLOAD [ARGS...]
          Runs WORKLOAD (a .wasm module, a command, a static program or a guest image, by --level) to its end and
          exits with its status.
          options:
          """ + RUN_OPTIONS,
      "call", """
          usage: isolate call [OPTIONS] WORKLOAD FUNCTION [ARGS... | INPUT_FILE]
          Calls FUNCTION of a module (--level process: integer ARGS, prints the results) or of a guest image
          (--level paravirt: bytes from INPUT_FILE or stdin, writes the reply).
          options: as for run
          """,
      "doctor", """
          usage: isolate doctor [--json]
          Says which levels this host can run, and exactly why not for the others.
          """,
      "demo", """
          usage: isolate demo
          Hashes the same input at every level this host supports, and says why the others are skipped.
          """,
      "help", """
          usage: isolate help [COMMAND]
          """,
      "version", """
          usage: isolate version   (or isolate --version)
          """,
      "completion", """
          usage: isolate completion bash|zsh
          Prints a completion script: source <(isolate completion bash) in ~/.bashrc, or zsh in ~/.zshrc.
          """);

  static final String USAGE = """
      usage: isolate COMMAND [OPTIONS]
      commands:
        run       run a workload to its end (isolate help run)
        call      call a function of a module or guest image
        doctor    which levels this host supports, and why not the others
        demo      the same job at every level this host supports
        help      help on a command
        version   the version of isolate and of the Java runtime
        completion  a bash or zsh completion script
      exit status: the workload's own code; 124 timeout; 137 memory/cpu/pids/output limit or killed;
                   134 trap or fault; 125 could not start, or could not write its output
      """;

  private Help() {}

  /** The usage of {@code command}, or null for an unknown one. */
  static String of(String command) {
    return USAGES.get(command);
  }

  /** This command's version and the runtime it runs on. */
  static String version() {
    String version = "unknown";
    try (InputStream in = Help.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        version = p.getProperty("version", version);
      }
    } catch (IOException e) {
      // the version stays unknown
    }
    return "isolate " + version + " (Java " + Runtime.version() + ")";
  }
}
