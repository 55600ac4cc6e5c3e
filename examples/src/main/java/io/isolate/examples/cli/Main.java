package io.isolate.examples.cli;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
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
  static final String USAGE = """
      usage:
        isolate run [--level process|os|hardware|paravirt] [--memory 64m] [--timeout 5s] [--output 16m]
                    [--cpus 0.5] [--pids 64] [--cpu-time 2s] [--env K=V]... [--ro HOST:GUEST]... [--rw HOST:GUEST]...
                    [--image FILE:GUEST]... [--rootfs host|DIR|oci:PATH[:TAG]] [--net none|loopback|host]
                    [--publish HOST:GUEST]... [--hostname NAME] [--workdir DIR] [--json] -- WORKLOAD [ARGS...]
        isolate call [--level process|paravirt] [options] WORKLOAD FUNCTION [ARGS... | INPUT_FILE]
        isolate doctor [--json]
        isolate demo
      exit status: the workload's own code; 124 timeout; 137 memory/cpu/pids/output limit or killed;
                   134 trap or fault; 125 could not start, or could not write its output
      """;

  /** The largest call input the command reads from a file or standard input. */
  static final int MAX_CALL_INPUT = 64 << 20;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(List.of(args), System.out, System.err));
  }

  /** Runs the command and returns its exit status; never calls System.exit, for tests. */
  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h")) {
      (args.isEmpty() ? err : out).print(USAGE);
      return args.isEmpty() ? 2 : 0;
    }
    List<String> rest = args.subList(1, args.size());
    int status;
    try {
      status = switch (args.get(0)) {
        case "run" -> runWorkload(RunOptions.parse(rest), out, err);
        case "call" -> call(RunOptions.parse(rest), out, err);
        case "doctor" -> doctor(rest, out);
        case "demo" -> Demo.run(out, err);
        default -> {
          err.println("isolate: unknown command '" + args.get(0) + "'");
          err.print(USAGE);
          yield 2;
        }
      };
    } catch (IsolateException | IllegalArgumentException | UnsupportedOperationException e) {
      err.println("isolate: " + e.getMessage());
      return ExitCodes.COULD_NOT_START;
    } catch (RuntimeException e) {
      // a defect of ours, not the user's: one line that says so, never a stack trace in the user's terminal
      err.println("isolate: internal error, please report it: " + e);
      return ExitCodes.COULD_NOT_START;
    }
    // PrintStream swallows write errors (a full disk, /dev/full, a closed pipe): a result nobody received is a
    // failure, not a success
    out.flush();
    if (out.checkError()) {
      err.println("isolate: cannot write the output (disk full or the reader gone)");
      return ExitCodes.COULD_NOT_START;
    }
    return status;
  }

  private static int runWorkload(RunOptions options, PrintStream out, PrintStream err) {
    Isolate.Builder builder = options.builder(options.workload()).stdin(Input.from(System.in));
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
        result = isolate.run();
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
          + (result.detail().isEmpty() ? "" : ": " + result.detail()));
    }
    out.flush();
    return ExitCodes.of(result);
  }

  private static int call(RunOptions options, PrintStream out, PrintStream err) {
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
        input = callArgs.isEmpty() ? readBounded(System.in, "standard input") : readInput(Path.of(callArgs.get(0)));
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
      err.println("isolate: " + e.getMessage());
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
    if (args.contains("--json")) {
      out.println(JsonResults.of(Isolates.doctor()));
    } else {
      out.print(Isolates.doctor());
    }
    return 0;
  }
}
