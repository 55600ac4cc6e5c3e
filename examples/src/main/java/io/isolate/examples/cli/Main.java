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
                   134 trap or fault; 125 could not start
      """;

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
    try {
      return switch (args.get(0)) {
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
    }
  }

  private static int runWorkload(RunOptions options, PrintStream out, PrintStream err) {
    Isolate.Builder builder = options.builder(options.workload()).stdin(Input.from(System.in));
    if (!options.json) {
      builder.stdout(Output.to(out)).stderr(Output.to(err));
    }
    ExitResult result;
    try (Isolate isolate = builder.build()) {
      result = isolate.run();
    }
    if (options.json) {
      out.println(JsonResults.of(result).encodePrettily());
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
    try (Isolate isolate = options.builder(workload).stderr(Output.to(err)).build()) {
      if (options.level == IsolationLevel.PARAVIRT) {
        byte[] input = callArgs.isEmpty() ? System.in.readAllBytes() : Files.readAllBytes(Path.of(callArgs.get(0)));
        out.write(isolate.call(function, input));
      } else {
        long[] numbers = callArgs.stream().mapToLong(Main::parseLong).toArray();
        long[] results = isolate.call(function, numbers);
        out.println(Arrays.stream(results).mapToObj(Long::toString).collect(Collectors.joining(" ")));
      }
      out.flush();
      return 0;
    } catch (io.isolate.GuestFailureException e) {
      err.println("isolate: " + e.getMessage());
      return ExitCodes.of(e.termination(), -1);
    } catch (IOException e) {
      err.println("isolate: cannot read the call input: " + e.getMessage());
      return ExitCodes.COULD_NOT_START;
    }
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
      out.println(JsonResults.of(Isolates.doctor()).encodePrettily());
    } else {
      out.print(Isolates.doctor());
    }
    return 0;
  }
}
