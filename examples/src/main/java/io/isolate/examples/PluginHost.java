package io.isolate.examples;

import io.isolate.ExitResult;
import io.isolate.HostFunction;
import io.isolate.HostFunction.ValueType;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A Java application hosting untrusted WebAssembly plugins: every {@code .wasm} file of a folder is a plugin
 * that reads its input on stdin and answers on stdout. Each runs at the PROCESS level under hard limits and
 * may call one host function, {@code env.log(ptr, len)}. A plugin that loops, traps, floods its output or hoards
 * memory ends with its {@link io.isolate.Termination}; the host goes on with the next one.
 *
 * <p>Run it: {@code java -cp ... io.isolate.examples.PluginHost PLUGIN_DIR} (input from stdin).
 */
public final class PluginHost {
  private static final Limits PLUGIN_LIMITS = Limits.builder()
      .memory(16, SizeUnit.MEGABYTES)
      .wallTime(Duration.ofSeconds(2)) // a spinner's end; a hoarder on a busy host still reaches its memory limit first
      .output(64, SizeUnit.KILOBYTES)
      .build();

  private final Path folder;
  private final List<String> log = new ArrayList<>();

  public PluginHost(Path folder) {
    this.folder = folder;
  }

  /** Runs every plugin of the folder on {@code input}, in name order, and returns each one's result. */
  public Map<String, ExitResult> runAll(byte[] input) throws IOException {
    Map<String, ExitResult> results = new TreeMap<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path plugin : files.filter(p -> p.toString().endsWith(".wasm")).sorted().toList()) {
        results.put(plugin.getFileName().toString(), run(plugin, input));
      }
    }
    return results;
  }

  private ExitResult run(Path plugin, byte[] input) {
    String name = plugin.getFileName().toString();
    HostFunction logFunction = HostFunction.of("env", "log", List.of(ValueType.I32, ValueType.I32), List.of(),
        (memory, args) -> {
          // The guest passes a pointer and a length: bounds-checked by the memory view, capped here.
          String line = memory.readString(args[0], (int) Math.min(args[1], 1024));
          synchronized (log) {
            log.add(name + ": " + line);
          }
          return new long[0];
        });
    try (Isolate isolate = Isolate.builder()
        .level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(plugin))
        .hostFunction(logFunction)
        .stdin(Input.of(input))
        .limits(PLUGIN_LIMITS)
        .build()) {
      return isolate.run();
    }
  }

  /** What plugins logged through the host function, in order. */
  public List<String> log() {
    synchronized (log) {
      return List.copyOf(log);
    }
  }

  public static void main(String[] args) throws IOException {
    PluginHost host = new PluginHost(Path.of(args[0]));
    Map<String, ExitResult> results = host.runAll(System.in.readAllBytes());
    results.forEach((plugin, r) -> System.out.printf("%-14s %-13s %s%n", plugin, r.termination(),
        r.isSuccess() ? r.stdoutText().strip() : r.detail()));
    host.log().forEach(line -> System.out.println("log  " + line));
  }
}
