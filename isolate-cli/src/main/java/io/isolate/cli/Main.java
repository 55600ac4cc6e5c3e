package io.isolate.cli;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.InvalidSpecException;
import io.isolate.IsolateException;
import io.isolate.Isolates;
import io.isolate.IsolationLevel;
import io.isolate.Output;
import io.isolate.Termination;
import io.isolate.Workload;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The {@code isolate} command: {@code run}, {@code call}, {@code doctor} and {@code demo}. See {@link #USAGE}.
 */
public final class Main {
  static final String USAGE = Help.USAGE;

  /** The largest call input the command reads from a file or standard input. */
  static final int MAX_CALL_INPUT = 64 << 20;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(List.of(args), System.in, System.out, System.err));
  }

  /** Runs the command with no standard input and returns its exit status; never calls System.exit, for tests. */
  static int run(List<String> args, PrintStream out, PrintStream err) {
    return run(args, java.io.InputStream.nullInputStream(), out, err);
  }

  /**
   * Runs the command and returns its exit status; never calls System.exit.
   *
   * @param in the workload's standard input (the JVM's own for the command; a test's must not be the test runner's
   *     channel, which a workload's stdin feeder would read from)
   */
  static int run(List<String> args, java.io.InputStream in, PrintStream out, PrintStream err) {
    if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h")) {
      (args.isEmpty() ? err : out).print(USAGE);
      return args.isEmpty() ? 2 : 0;
    }
    if (args.get(0).equals("--version")) {
      out.println(Help.version());
      return finish(out, err, 0);
    }
    List<String> rest = args.subList(1, args.size());
    int status;
    try {
      status = switch (args.get(0)) {
        case "run" -> withHelp("run", RunOptions.parse(rest), out, o -> runWorkload(o, in, out, err));
        case "call" -> withHelp("call", RunOptions.parse(rest), out, o -> call(o, in, out, err));
        case "doctor" -> doctor(rest, out);
        case "demo" -> noOptions("demo", rest, out) ? 0 : Demo.run(out, err);
        case "help" -> help(rest, out, err);
        case "version" -> noOptions("version", rest, out) ? 0 : version(out);
        case "completion" -> completion(rest, out);
        default -> {
          err.println("isolate: unknown command '" + args.get(0) + "'" + Suggest.didYouMean(args.get(0),
              Help.COMMANDS));
          err.print(USAGE);
          yield 2;
        }
      };
    } catch (IsolateException | IllegalArgumentException | UnsupportedOperationException e) {
      err.println("isolate: " + FlagNames.of(e.getMessage()));
      return ExitCodes.COULD_NOT_START;
    } catch (RuntimeException e) {
      // a defect of ours, not the user's: one line that says so, never a stack trace in the user's terminal
      err.println("isolate: internal error, please report it: " + e);
      return ExitCodes.COULD_NOT_START;
    }
    return finish(out, err, status);
  }

  /**
   * The status, unless the output could not be written: PrintStream swallows write errors (a full disk,
   * /dev/full, a closed pipe), and a result nobody received is a failure, not a success.
   */
  private static int finish(PrintStream out, PrintStream err, int status) {
    out.flush();
    if (out.checkError()) {
      err.println("isolate: cannot write the output (disk full or the reader gone)");
      return ExitCodes.COULD_NOT_START;
    }
    return status;
  }

  private static int withHelp(String command, RunOptions options, PrintStream out,
      java.util.function.ToIntFunction<RunOptions> body) {
    if (options.help) {
      out.print(Help.of(command));
      return 0;
    }
    return body.applyAsInt(options);
  }

  /** Prints the command's usage and answers true for --help; refuses any other argument. */
  private static boolean noOptions(String command, List<String> args, PrintStream out) {
    if (args.isEmpty()) {
      return false;
    }
    if (args.size() == 1 && (args.get(0).equals("--help") || args.get(0).equals("-h"))) {
      out.print(Help.of(command));
      return true;
    }
    throw new InvalidSpecException(command + " takes no argument, not '" + args.get(0) + "' (isolate help "
        + command + ")");
  }

  private static int help(List<String> args, PrintStream out, PrintStream err) {
    if (args.isEmpty()) {
      out.print(USAGE);
      return 0;
    }
    String usage = Help.of(args.get(0));
    if (usage == null) {
      err.println("isolate: no command '" + args.get(0) + "'" + Suggest.didYouMean(args.get(0), Help.COMMANDS));
      err.print(USAGE);
      return 2;
    }
    out.print(usage);
    return 0;
  }

  private static int completion(List<String> args, PrintStream out) {
    String script = args.size() == 1 ? Completion.script(args.get(0)) : null;
    if (script == null) {
      throw new InvalidSpecException("completion takes one shell, bash or zsh"
          + (args.isEmpty() ? "" : ", not '" + String.join(" ", args) + "'") + Suggest.didYouMean(
              args.isEmpty() ? "" : args.get(0), Completion.SHELLS));
    }
    out.print(script);
    return 0;
  }

  private static int version(PrintStream out) {
    out.println(Help.version());
    return 0;
  }

  private static int runWorkload(RunOptions options, java.io.InputStream in, PrintStream out, PrintStream err) {
    Isolate.Builder builder = options.builder(options.workload()).stdin(Input.from(in));
    if (!options.json) {
      builder.stdout(Output.to(out)).stderr(Output.to(err));
    }
    ExitResult result;
    try (Isolate isolate = builder.build()) {
      // SIGTERM or SIGINT ends the JVM through its shutdown hooks: close the isolate there, so that its processes,
      // cgroups and run directory go with the command instead of waiting for a later JVM's sweep
      Thread closer = new Thread(isolate::close, "isolate-close-on-signal");
      Runtime.getRuntime().addShutdownHook(closer);
      try {
        if (isolate.spec().publishedPorts().stream().anyMatch(io.isolate.PublishedPort::isRandom)) {
          // a host port chosen at start: say which, so that the user can connect
          Execution running = isolate.start();
          for (io.isolate.PublishedPort p : isolate.spec().publishedPorts()) {
            err.println("isolate: guest port " + p.guestPort() + " is published on 127.0.0.1:"
                + isolate.mappedPort(p.guestPort()));
          }
          result = running.await();
        } else {
          result = isolate.run();
        }
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(closer);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running or has run: it closes the isolate
        }
      }
    }
    if (options.json) {
      out.println(JsonResults.of(result));
    } else if (result.termination() != Termination.EXITED) {
      err.println("isolate: " + result.termination()
          + (result.detail().isEmpty() ? "" : ": " + FlagNames.of(result.detail())));
    }
    out.flush();
    return ExitCodes.of(result);
  }

  private static int call(RunOptions options, java.io.InputStream in, PrintStream out, PrintStream err) {
    if (options.positional.size() < 2) {
      err.println("isolate: call needs a WORKLOAD and a FUNCTION");
      return ExitCodes.COULD_NOT_START;
    }
    List<String> callArgs = options.positional.subList(2, options.positional.size());
    String function = options.positional.get(1);
    RunOptions loaded = options;
    Workload workload = loaded.level == IsolationLevel.PARAVIRT
        ? Workload.guestImage(Path.of(options.positional.get(0)))
        : Workload.wasm(Path.of(options.positional.get(0)));
    byte[] input = null;
    long[] numbers = null;
    try {
      // the input is checked before an isolate is started for it
      if (options.level == IsolationLevel.PARAVIRT) {
        input = callArgs.isEmpty() ? readBounded(in, "standard input") : readInput(Path.of(callArgs.get(0)));
      } else {
        numbers = callArgs.stream().mapToLong(Main::parseLong).toArray();
      }
    } catch (IOException e) {
      err.println("isolate: cannot read the call input: " + e.getMessage());
      return ExitCodes.COULD_NOT_START;
    }
    try (Isolate isolate = options.builder(workload).stderr(Output.to(err)).build()) {
      if (input != null) {
        out.write(isolate.call(function, input));
      } else {
        long[] results = isolate.call(function, numbers);
        out.println(Arrays.stream(results).mapToObj(Long::toString).collect(Collectors.joining(" ")));
      }
      out.flush();
      return 0;
    } catch (io.isolate.GuestFailureException e) {
      err.println("isolate: " + FlagNames.of(e.getMessage()));
      return ExitCodes.of(e.termination(), -1);
    } catch (IOException e) {
      err.println("isolate: cannot write the reply: " + e.getMessage());
      return ExitCodes.COULD_NOT_START;
    }
  }

  /** A call input file: a regular file of at most {@link #MAX_CALL_INPUT} bytes, or a stream read up to that. */
  private static byte[] readInput(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IOException(file + " is a directory");
    }
    if (Files.isRegularFile(file) && Files.size(file) > MAX_CALL_INPUT) {
      throw new IOException(file + " holds " + Files.size(file) + " bytes; a call input may be at most "
          + MAX_CALL_INPUT + " bytes");
    }
    try (var in = Files.newInputStream(file)) {
      return readBounded(in, file.toString());
    }
  }

  private static byte[] readBounded(java.io.InputStream in, String what) throws IOException {
    byte[] bytes = in.readNBytes(MAX_CALL_INPUT + 1);
    if (bytes.length > MAX_CALL_INPUT) {
      throw new IOException(what + " holds more than " + MAX_CALL_INPUT + " bytes, the most a call input may be");
    }
    return bytes;
  }

  private static long parseLong(String s) {
    try {
      return Long.decode(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("call argument '" + s + "' is not an integer");
    }
  }

  private static int doctor(List<String> args, PrintStream out) {
    for (String a : args) {
      if (a.equals("--help") || a.equals("-h")) {
        out.print(Help.of("doctor"));
        return 0;
      }
      if (!a.equals("--json")) {
        throw new InvalidSpecException("unknown option " + a + " for doctor" + Suggest.didYouMean(a,
            List.of("--json", "--help")) + " (isolate help doctor)");
      }
    }
    if (args.contains("--json")) {
      out.println(JsonResults.of(Isolates.doctor()));
    } else {
      out.print(Isolates.doctor());
    }
    return 0;
  }
}
