package io.isolate.examples;

import io.isolate.HostFunction;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The guest SDK's two example plugins called from Java: {@code text} (bytes in, bytes out) and {@code kv} (which
 * calls back into the host for a key-value lookup and reads its configuration). The same C sources
 * ({@code guest-sdk/examples}) were built by the build for both levels: as WebAssembly modules in provider-wasm's
 * jar for PROCESS, and as micro-VM guests in provider-pv's jar for PARAVIRT. This class only picks the file; the
 * calls are the same.
 *
 * <p>Run it: {@code java -cp ... io.isolate.examples.SdkPlugins [process|paravirt]}.
 */
public final class SdkPlugins {
  private static final Limits LIMITS = Limits.builder()
      .memory(64, SizeUnit.MEGABYTES)
      .wallTime(Duration.ofSeconds(2))
      .build();

  private SdkPlugins() {}

  /** The text plugin, live: call "upper", "reverse", "count" or "nop". */
  public static Isolate text(IsolationLevel level) {
    return Isolate.builder().level(level).workload(plugin("text", level)).limits(LIMITS).build();
  }

  /**
   * The key-value plugin, live: call "lookup" with a key; it asks the host function {@code kv.get}, which reads
   * {@code store}, and prefixes the answer with its configuration value {@code prefix}.
   */
  public static Isolate keyValue(IsolationLevel level, Map<String, String> store, String prefix) {
    HostFunction get = HostFunction.ofBytes("kv.get", key -> {
      String value = store.get(new String(key, StandardCharsets.UTF_8));
      if (value == null) {
        throw new IllegalArgumentException("no key " + new String(key, StandardCharsets.UTF_8));
      }
      return value.getBytes(StandardCharsets.UTF_8);
    });
    return Isolate.builder().level(level).workload(plugin("kv", level)).hostFunction(get).config("prefix", prefix)
        .limits(LIMITS).build();
  }

  /** The example plugin {@code name} as the build made it for {@code level}, read from the provider's jar. */
  static Workload plugin(String name, IsolationLevel level) {
    String resource = switch (level) {
      case PROCESS -> "/META-INF/isolate/guest-sdk-wasm/examples/" + name + ".wasm";
      case PARAVIRT -> "/META-INF/isolate/guest-sdk/examples/" + name + ".elf";
      default -> throw new IllegalArgumentException("plugins run at PROCESS or PARAVIRT, not " + level);
    };
    try (InputStream in = SdkPlugins.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is not on the class path: add the provider of " + level);
      }
      byte[] bytes = in.readAllBytes();
      return level == IsolationLevel.PROCESS ? Workload.wasm(bytes) : Workload.guestImage(bytes, name + ".elf");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void main(String[] args) {
    IsolationLevel level = args.length > 0 ? IsolationLevel.valueOf(args[0].toUpperCase(java.util.Locale.ROOT))
        : IsolationLevel.PROCESS;
    try (Isolate text = text(level);
        Isolate kv = keyValue(level, Map.of("answer", "42"), "the answer is ")) {
      System.out.println(new String(text.call("upper", "hello, plugins".getBytes(StandardCharsets.UTF_8)),
          StandardCharsets.UTF_8));
      System.out.println(new String(text.call("count", "one two\nthree\n".getBytes(StandardCharsets.UTF_8)),
          StandardCharsets.UTF_8) + " (lines words bytes)");
      System.out.println(new String(kv.call("lookup", "answer".getBytes(StandardCharsets.UTF_8)),
          StandardCharsets.UTF_8));
      System.out.println("handlers: " + text.functions().stream().filter(f -> !f.startsWith("isolate_")
          && !f.startsWith("_")).sorted().toList());
    }
  }
}
