package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.isolate.CallException;
import io.isolate.GuestFailureException;
import io.isolate.HostFunction;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Output;
import io.isolate.Termination;
import io.isolate.Workload;
import io.isolate.conformance.PluginCallTable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins built with the guest SDK at PROCESS: the example plugins the build made (text, kv) and test plugins
 * built here with the same SDK and the one documented command (src/test/c/plugins).
 */
class PluginTest {
  @TempDir static Path build;
  private static final Map<String, String> KV = Map.of("alpha", "one", "beta", "two");

  @BeforeAll
  static void buildTestPlugins() throws Exception {
    for (String name : List.of("probe", "no_serve", "greeter")) {
      Path source = Path.of("src/test/c/plugins", name + ".c").toAbsolutePath();
      Process p = new ProcessBuilder("clang", "--target=wasm32-wasi", "-O2", "-mexec-model=reactor",
          "-Wl,--strip-debug", "-Wall", "-Werror", "-I", sdk().resolve("include").toString(), "-o",
          build.resolve(name + ".wasm").toString(), source.toString(),
          sdk().resolve("lib/libisolate-wasm.a").toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "clang hung");
      assertEquals(0, p.exitValue(), "clang " + name + ":\n" + out);
    }
  }

  /** The SDK the build put into the jar's resources. */
  static Path sdk() {
    return Path.of("target/classes/META-INF/isolate/guest-sdk-wasm").toAbsolutePath();
  }

  static byte[] example(String name) {
    try (InputStream in = PluginTest.class.getResourceAsStream("/META-INF/isolate/guest-sdk-wasm/examples/" + name
        + ".wasm")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Isolate.Builder plugin(byte[] module) {
    return Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module))
        .limits(Limits.builder().wallTime(Duration.ofSeconds(20)).build());
  }

  private static Isolate.Builder testPlugin(String name) throws IOException {
    return plugin(Files.readAllBytes(build.resolve(name + ".wasm")));
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static HostFunction kvGet(Map<String, String> values) {
    return HostFunction.ofBytes("kv.get", key -> {
      String v = values.get(text(key));
      if (v == null) {
        throw new IllegalArgumentException("no key " + text(key));
      }
      return utf8(v);
    });
  }

  @Test
  void textPluginAnswersItsHandlersAndLogsToStderr() {
    java.io.ByteArrayOutputStream stderr = new java.io.ByteArrayOutputStream();
    try (Isolate isolate = plugin(example("text")).stderr(Output.to(stderr)).build()) {
      assertEquals("HELLO, WORLD ü", text(isolate.call("upper", utf8("Hello, World ü"))));
      assertEquals("üba", text(isolate.call("reverse", utf8("abü"))));
      assertEquals("3 5 24", text(isolate.call("count", utf8("one two\nthree four\nfive\n"))));
      assertArrayEquals(new byte[0], isolate.call("nop", new byte[0]));
      assertEquals("", text(isolate.call("upper", new byte[0])));
      assertTrue(isolate.functions().containsAll(Set.of("upper", "reverse", "count", "nop")), isolate.functions()
          ::toString);
      assertTrue(isolate.hasFunction("count"));
      assertTrue(isolate.hasFunction("isolate_dispatch"), "the module's exports are listed as well");
    }
    String logged = stderr.toString(StandardCharsets.UTF_8);
    assertTrue(logged.contains("guest INFO: text plugin ready\n"), logged);
  }

  /**
   * The example plugins answer the call table that the PARAVIRT level answers too (guest-sdk/examples/calls.tsv;
   * provider-pv's GuestSdkRunTest runs it against the same sources built for the micro-VM).
   */
  @Test
  void examplePluginsAnswerTheCallTableSharedWithParavirt() {
    int checked = 0;
    for (String plugin : List.of("text", "kv")) {
      try (Isolate isolate = plugin(example(plugin))
          .hostFunction(HostFunction.ofBytes("kv.get", PluginCallTable::kvGet))
          .config(PluginCallTable.KV_CONFIG).build()) {
        checked += PluginCallTable.check(plugin, isolate::call);
      }
    }
    assertEquals(11, checked, "calls in the table");
  }

  /**
   * The text plugin written in Rust against the crate (guest-sdk/rust/isolate-guest, the C library behind a safe
   * API) answers the same rows as the C one. Built when the build has a rustc with the wasm32-wasi standard library
   * (CI installs Debian's); its absence skips here and fails with CI=true.
   */
  @Test
  void theRustExamplePluginAnswersTheSameCallTable() {
    boolean built = PluginTest.class.getResource("/META-INF/isolate/guest-sdk-wasm/examples/text-rust.wasm") != null;
    if (!built && "true".equals(System.getenv("CI"))) {
      fail("CI=true: the Rust example plugin was not built (rustc with libstd-rust-dev-wasm32 missing?)");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(built, "no rustc with the wasm32-wasi standard library here");
    StringBuilder logged = new StringBuilder();
    try (Isolate isolate = plugin(example("text-rust")).stderr(io.isolate.Output.to(new java.io.OutputStream() {
      @Override
      public void write(int b) {
        logged.append((char) b);
      }
    })).build()) {
      assertEquals(5, PluginCallTable.check("text", isolate::call));
      assertEquals(List.of("count", "nop", "reverse", "upper"), isolate.functions().stream()
          .filter(f -> !f.startsWith("isolate_") && !f.startsWith("_") && !f.equals("memory")).sorted().toList());
    }
    assertTrue(logged.toString().contains("guest INFO: text plugin (Rust) ready"), logged.toString());
  }

  @Test
  void kvPluginCallsBackIntoTheHostAndReadsItsConfiguration() {
    try (Isolate isolate = plugin(example("kv")).hostFunction(kvGet(KV)).config("prefix", "value: ")
        .config("mode", "strict").build()) {
      assertEquals("value: one", text(isolate.call("lookup", utf8("alpha"))));
      assertEquals("value: two", text(isolate.call("lookup", utf8("beta"))));
      assertEquals("strict", text(isolate.call("config", utf8("mode"))));
      GuestFailureException notSet = assertThrows(GuestFailureException.class,
          () -> isolate.call("config", utf8("other")));
      assertEquals(Termination.TRAP, notSet.termination());
      assertTrue(notSet.getMessage().contains("call 'config': guest replied FAILED: not set"), notSet.getMessage());
      // a host function that throws reaches the plugin as a FAILED status with the exception's message
      GuestFailureException missing = assertThrows(GuestFailureException.class,
          () -> isolate.call("lookup", utf8("gamma")));
      assertTrue(missing.getMessage().contains("host function 'kv.get' failed")
          && missing.getMessage().contains("no key gamma"), missing.getMessage());
      assertEquals("value: one", text(isolate.call("lookup", utf8("alpha"))), "and the plugin goes on");
    }
  }

  @Test
  void aPluginWithoutItsHostFunctionHearsNoSuchFunction() {
    try (Isolate isolate = plugin(example("kv")).build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("lookup", utf8("a")));
      assertTrue(e.getMessage().contains("no host function 'kv.get'"), e.getMessage());
    }
  }

  @Test
  void anUnknownHandlerIsACallExceptionNamingTheHandlers() {
    try (Isolate isolate = plugin(example("text")).build()) {
      CallException e = assertThrows(CallException.class, () -> isolate.call("lower", utf8("x")));
      assertTrue(e.getMessage().contains("no handler 'lower'") && e.getMessage().contains("upper, reverse"),
          e.getMessage());
    }
  }

  @Test
  void tenThousandCallsOfOneByteToOneMebibyteKeepGuestMemoryFlat() throws IOException {
    Random random = new Random(10_000);
    byte[] largest = new byte[1 << 20];
    random.nextBytes(largest);
    try (Isolate isolate = testPlugin("probe").build()) {
      // the largest call first: afterwards the plugin's memory must not grow at all
      assertArrayEquals(largest, isolate.call("copy", largest));
      int before = pages(isolate);
      for (int i = 0; i < 10_000; i++) {
        int length = i % 100 == 0 ? largest.length : 1 + random.nextInt(i % 2 == 0 ? 64 : 64 << 10);
        byte[] input = java.util.Arrays.copyOf(largest, length);
        byte[] reply = isolate.call(i % 2 == 0 ? "copy" : "echo", input);
        if (reply.length != length || reply[length - 1] != largest[length - 1]) {
          throw new AssertionError("call " + i + " of " + length + " bytes answered " + reply.length + " bytes");
        }
      }
      assertEquals(before, pages(isolate), "pages of guest memory before and after 10,000 calls");
    }
  }

  /**
   * Calls racing their deadline: whichever of the call and the watchdog gets there first, a call either returns
   * its full reply or fails with TIMEOUT, and never leaves an interrupt behind on the calling thread.
   */
  @Test
  void callsRacingTheirDeadlineEndCleanlyEitherWay() throws IOException {
    byte[] input = new byte[6 << 20];
    int timeouts = 0;
    int answered = 0;
    try (Isolate isolate = testPlugin("probe").limits(Limits.builder().wallTime(Duration.ofMillis(4)).build())
        .build()) {
      for (int tries = 0; ; tries++) { // loading and starting the plugin take longer than 4 ms: not part of the race
        try {
          isolate.call("echo", new byte[1]);
          break;
        } catch (GuestFailureException e) {
          assertTrue(tries < 500, e.getMessage());
        }
      }
      for (int i = 0; i < 600; i++) {
        int length = (i * 7919) % input.length;
        try {
          assertEquals(length, isolate.call("copy", java.util.Arrays.copyOf(input, length)).length);
          answered++;
        } catch (GuestFailureException e) {
          assertEquals(Termination.TIMEOUT, e.termination(), e.getMessage());
          timeouts++;
        }
        assertTrue(!Thread.currentThread().isInterrupted(), "call " + i + " left an interrupt behind");
      }
    }
    assertTrue(answered > 0 && timeouts > 0, answered + " answered, " + timeouts + " timed out");
  }

  private static int pages(Isolate isolate) {
    return ByteBuffer.wrap(isolate.call("pages", new byte[0])).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  @Test
  void aReplyOutsideGuestMemoryIsATrapAndThePluginGoesOn() throws IOException {
    try (Isolate isolate = testPlugin("probe").build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class,
          () -> isolate.call("reply_outside_memory", new byte[0]));
      assertEquals(Termination.TRAP, e.termination());
      assertTrue(e.getMessage().contains("the reply (100 bytes at address 4294967280) lies outside guest memory"),
          e.getMessage());
      assertEquals("ok", text(isolate.call("echo", utf8("ok"))));
    }
  }

  @Test
  void aHostCallNamingMemoryOutsideTheGuestIsATrap() throws IOException {
    try (Isolate isolate = testPlugin("probe").build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class,
          () -> isolate.call("host_call_outside_memory", new byte[0]));
      assertEquals(Termination.TRAP, e.termination());
      assertTrue(e.getMessage().contains("the host function's name (200 bytes at address 4294967280) lies outside"),
          e.getMessage());
    }
  }

  @Test
  void aHostFunctionCallingBackIntoItsOwnPluginIsRefused() throws IOException {
    AtomicReference<Isolate> self = new AtomicReference<>();
    HostFunction reenter = HostFunction.ofBytes("reenter", in -> self.get().call("echo", in));
    try (Isolate isolate = testPlugin("probe").hostFunction(reenter).build()) {
      self.set(isolate);
      GuestFailureException e = assertThrows(GuestFailureException.class,
          () -> isolate.call("call_host", utf8("x")));
      assertTrue(e.getMessage().contains("an isolate serves one call at a time"), e.getMessage());
      assertEquals("still here", text(isolate.call("echo", utf8("still here"))));
    }
  }

  @Test
  void aPluginWhoseMainDoesNotServeFailsToStart() throws IOException {
    try (Isolate isolate = testPlugin("no_serve").build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("echo", utf8("x")));
      assertTrue(e.getMessage().contains("the plugin's main returned 3 without calling isolate_serve()"),
          e.getMessage());
    }
  }

  @Test
  void aTypedHostFunctionHandsAStringBackInCallMemory() throws IOException {
    HostFunction greet = HostFunction.of("env", "greet", List.of(HostFunction.ValueType.I32,
        HostFunction.ValueType.I32), List.of(HostFunction.ValueType.I64), (memory, args) -> {
          byte[] greeting = utf8("hello, " + memory.readString(args[0], (int) args[1]));
          return new long[] {memory.allocate(greeting) << 32 | greeting.length};
        });
    try (Isolate isolate = testPlugin("greeter").hostFunction(greet).build()) {
      for (int i = 0; i < 2_000; i++) { // call memory: freed call after call
        assertEquals("hello, world " + i, text(isolate.call("greet", utf8("world " + i))));
      }
    }
  }

  @Test
  void allocatingInAModuleWithoutTheSdkTrapsWithTheReason() {
    HostFunction log = HostFunction.of("env", "log", List.of(HostFunction.ValueType.I32,
        HostFunction.ValueType.I32), List.of(), (memory, args) -> {
          memory.allocate(16);
          return new long[0];
        });
    try (Isolate isolate = plugin(Fixtures.wasm("lib")).hostFunction(WasmCallTest.HOST_ADD).hostFunction(log)
        .build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("greet"));
      assertTrue(e.getMessage().contains("was not built with the guest SDK"), e.getMessage());
    }
  }

  @Test
  void theGuestSdksNamesAreReserved() {
    assertThrows(InvalidSpecException.class, () -> HostFunction.ofBytes("isolate.config", in -> in));
    assertThrows(InvalidSpecException.class, () -> HostFunction.of("isolate", "log", List.of(), List.of(),
        (m, a) -> new long[0]));
  }

  @Test
  void configAndHostFunctionsAreRefusedAtLevelsWithoutCalls() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Isolate.builder()
        .level(IsolationLevel.OS).workload(Workload.command("/bin/true")).config("a", "b").spec());
    assertTrue(e.getMessage().contains("at OS pass environment variables"), e.getMessage());
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().level(IsolationLevel.HARDWARE)
        .workload(Workload.command("/bin/true")).hostFunction(kvGet(KV)).spec());
  }
}
