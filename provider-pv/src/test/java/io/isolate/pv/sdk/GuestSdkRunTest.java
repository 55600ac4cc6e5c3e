package io.isolate.pv.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.pv.devices.CallFailedException;
import io.isolate.pv.devices.CallFrame;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest SDK's C drivers (virtqueues, console multiport handshake, call framing, rng, hypercalls) running
 * against the Java devices: each guest is built from the SDK sources as a host process (harness.c) and served by
 * {@link SdkGuestProcess}, the PARAVIRT run loop minus KVM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GuestSdkRunTest {
  @TempDir static Path build;
  private static final Map<String, UnaryOperator<byte[]>> HOST = Map.of(
      "upper", in -> new String(in, StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8));

  @BeforeAll
  static void compileGuests() throws Exception {
    Path sdk = NativeBuild.sdkSources();
    Path examples = NativeBuild.module().resolve("src/main/c/examples");
    Path tests = NativeBuild.module().resolve("src/test/c");
    List<String> common = new ArrayList<>(List.of("-std=gnu11", "-O2", "-Wall", "-Werror", "-DISOLATE_HOST_HARNESS",
        "-Dmain=isolate_guest_main", "-I", sdk.resolve("include").toString(), "-I", sdk.resolve("paravirt").toString(),
        "-c"));
    for (String f : List.of("alloc", "blk", "console", "devices", "format", "hypercall", "rng", "start", "virtio")) {
      compile(common, sdk.resolve("paravirt/" + f + ".c"), "sdk-" + f + ".o");
    }
    for (String f : List.of("config", "log")) { // guest-sdk/common: the same at both levels
      compile(common, sdk.resolve("common/" + f + ".c"), "sdk-" + f + ".o");
    }
    compile(common, examples.resolve("echo/echo.c"), "echo.o");
    compile(common, examples.resolve("sha256/main.c"), "sha256-main.o");
    compile(common, examples.resolve("sha256/sha256.c"), "sha256.o");
    compile(common, examples.resolve("stream/stream.c"), "stream.o");
    compile(common, tests.resolve("guests/services.c"), "services.o");
    compile(common, sdk.resolve("examples/text/text.c"), "text.o");
    compile(common, sdk.resolve("examples/kv/kv.c"), "kv.o");
    NativeBuild.gcc(build, "-O2", "-Wall", "-Werror", "-I", sdk.resolve("include").toString(), "-c",
        tests.resolve("harness.c").toString(), "-o", "harness.o");
    link("echo", "echo.o");
    link("sha256", "sha256-main.o", "sha256.o");
    link("stream", "stream.o");
    link("services", "services.o");
    link("text", "text.o");
    link("kv", "kv.o");
  }

  private static void compile(List<String> flags, Path source, String object) throws Exception {
    List<String> args = new ArrayList<>(flags);
    args.add(source.toString());
    args.addAll(List.of("-o", object));
    NativeBuild.gcc(build, args.toArray(String[]::new));
  }

  private static void link(String name, String... objects) throws Exception {
    List<String> args = new ArrayList<>(List.of("-o", name, "harness.o"));
    args.addAll(List.of(objects));
    try (var sdkObjects = Files.list(build)) {
      sdkObjects.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("sdk-")).sorted().forEach(args::add);
    }
    NativeBuild.gcc(build, args.toArray(String[]::new));
  }

  private static SdkGuestProcess start(String guest, String... args) throws Exception {
    return new SdkGuestProcess(build.resolve(guest), List.of(args), HOST);
  }

  private static byte[] call(SdkGuestProcess g, String name, byte[] payload) throws Exception {
    return g.calls.call(name, payload).get(20, TimeUnit.SECONDS);
  }

  @Test
  void echoGuestAnswersSmallAndMultiMebibyteCalls() throws Exception {
    try (SdkGuestProcess g = start("echo")) {
      assertEquals("hi", new String(call(g, "echo", "hi".getBytes())));
      assertArrayEquals(new byte[0], call(g, "echo", new byte[0]));
      byte[] big = new byte[6 << 20];
      new Random(6).nextBytes(big);
      assertArrayEquals(big, call(g, "echo", big));
      assertTrue(g.logs.contains("INFO echo guest ready"), g.logs::toString);
      assertTrue(g.errors.isEmpty(), g.errors::toString);
    }
  }

  @Test
  void echoGuestServesManyCallsInARowWithoutRunningOutOfHeap() throws Exception {
    try (SdkGuestProcess g = start("echo")) {
      byte[] chunk = new byte[256 << 10];
      for (int i = 0; i < 400; i++) { // 100 MiB in total through a 64 MiB heap
        chunk[0] = (byte) i;
        assertArrayEquals(chunk, call(g, "echo", chunk));
      }
    }
  }

  @Test
  void echoGuestMatchesPipelinedRepliesToConcurrentCallers() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try (SdkGuestProcess g = start("echo")) {
      List<Future<?>> jobs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        jobs.add(callers.submit(() -> {
          for (int i = 0; i < 50; i++) {
            String text = thread + "/" + i + "/" + "y".repeat(i * 101);
            assertEquals(text, new String(call(g, "echo", text.getBytes())));
          }
          return null;
        }));
      }
      for (Future<?> job : jobs) {
        job.get(40, TimeUnit.SECONDS);
      }
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void unknownFunctionsFailWithTheirStatus() throws Exception {
    try (SdkGuestProcess g = start("echo")) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> g.calls.call("nope", new byte[1]).get(20, TimeUnit.SECONDS));
      assertEquals(CallFrame.NO_SUCH_FUNCTION, ((CallFailedException) e.getCause()).status());
      assertEquals("ok", new String(call(g, "echo", "ok".getBytes())), "and the guest goes on");
    }
  }

  @Test
  void sha256GuestHashesWhatItIsGiven() throws Exception {
    try (SdkGuestProcess g = start("sha256")) {
      Random random = new Random(2);
      for (int length : new int[] {0, 3, 64, 1000, 65_537, 3 << 20}) {
        byte[] input = new byte[length];
        random.nextBytes(input);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(input), call(g, "sha256", input),
            "length " + length);
      }
    }
  }

  @Test
  void streamGuestWritesLargeOutputThroughTheConsoleAndExits() throws Exception {
    int total = 4 << 20;
    try (SdkGuestProcess g = start("stream", Integer.toString(total))) {
      assertEquals(0, g.exit.get(30, TimeUnit.SECONDS));
      byte[] out = g.stdoutBytes();
      assertEquals(total, out.length);
      for (int i = 0; i < total; i++) {
        if (out[i] != "0123456789abcdef".charAt(i % 16)) {
          throw new AssertionError("byte " + i + " is " + out[i]);
        }
      }
      assertEquals(total, g.console.stats().stdoutBytes());
      assertTrue(g.logs.stream().anyMatch(l -> l.startsWith("INFO streamed " + total + " bytes in ")), g.logs::toString);
    }
  }

  @Test
  void servicesGuestCallsTheHostUsesEntropyAndReportsFailures() throws Exception {
    try (SdkGuestProcess g = start("services")) {
      assertEquals("SHOUTED BACK", new String(call(g, "via_host", "shouted back".getBytes())));
      byte[] r1 = call(g, "random", new byte[] {64});
      byte[] r2 = call(g, "random", new byte[] {64});
      assertEquals(64 << 10, r1.length);
      assertNotEquals(new String(r1, StandardCharsets.ISO_8859_1), new String(r2, StandardCharsets.ISO_8859_1));
      assertEquals(128 << 10, g.rng.bytesServed());
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> g.calls.call("fail", new byte[0]).get(20, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("FAILED: this handler always fails"), e.getCause().getMessage());
      byte[] chunk = new byte[1 << 20];
      for (int i = 0; i < 40; i++) { // 160 MiB of allocations through a 64 MiB heap
        assertEquals(chunk.length, call(g, "churn", chunk).length);
      }
      assertTrue(g.stdout().startsWith("services guest: abi 0x10001, 4 handlers\n"), g.stdout());
      assertTrue(g.logs.contains("INFO clock ok"), g.logs::toString);
      assertTrue(g.errors.isEmpty(), g.errors::toString);
    }
  }

  /**
   * The example plugins of guest-sdk/examples answer the call table that the PROCESS level answers too
   * (guest-sdk/examples/calls.tsv; provider-wasm's PluginTest runs it against the same sources built for wasm32).
   */
  @Test
  void examplePluginsAnswerTheCallTableSharedWithProcess() throws Exception {
    Map<String, UnaryOperator<byte[]>> host = Map.of("kv.get", io.isolate.conformance.PluginCallTable::kvGet,
        io.isolate.spi.GuestSdk.CONFIG,
        io.isolate.spi.GuestSdk.configFunction(io.isolate.conformance.PluginCallTable.KV_CONFIG));
    int checked = 0;
    for (String plugin : List.of("text", "kv")) {
      try (SdkGuestProcess g = new SdkGuestProcess(build.resolve(plugin), List.of(), host)) {
        checked += io.isolate.conformance.PluginCallTable.check(plugin,
            (handler, input) -> g.calls.call(handler, input).get(20, TimeUnit.SECONDS));
        assertTrue(g.errors.isEmpty(), g.errors::toString);
      }
    }
    assertEquals(11, checked, "calls in the table");
  }
}
