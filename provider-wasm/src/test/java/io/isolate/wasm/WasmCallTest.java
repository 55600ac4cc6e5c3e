package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.GuestFailureException;
import io.isolate.HostFunction;
import io.isolate.HostFunction.ValueType;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Termination;
import io.isolate.Workload;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Calls into a live instance of a library module, and host functions it calls back. */
class WasmCallTest {
  static final HostFunction HOST_ADD = HostFunction.of("env", "host_add", List.of(ValueType.I32, ValueType.I32),
      List.of(ValueType.I32), (memory, args) -> new long[] {(int) (args[0] + args[1])});
  static final HostFunction LOG_IGNORED = HostFunction.of("env", "log", List.of(ValueType.I32, ValueType.I32),
      List.of(), (memory, args) -> new long[0]);

  private static Isolate.Builder lib(HostFunction add, HostFunction log) {
    return Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(Fixtures.wasm("lib")))
        .hostFunction(add).hostFunction(log)
        .limits(Limits.builder().wallTime(Duration.ofSeconds(5)).build());
  }

  @Test
  void callsAnExportedFunctionWithArgumentsAndResults() {
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED).build()) {
      assertArrayEquals(new long[] {3}, isolate.call("add", 1, 2));
      assertArrayEquals(new long[] {-5}, isolate.call("add", 5, -10));
      assertArrayEquals(new long[] {12586269025L}, isolate.call("fib", 50));
    }
  }

  @Test
  void keepsTheInstanceAliveAcrossCalls() {
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED).build()) {
      for (int i = 1; i <= 100; i++) {
        assertArrayEquals(new long[] {i}, isolate.call("count"));
      }
    }
  }

  @Test
  void letsTheGuestCallHostFunctions() {
    List<String> logged = new CopyOnWriteArrayList<>();
    HostFunction log = HostFunction.of("env", "log", List.of(ValueType.I32, ValueType.I32), List.of(),
        (memory, args) -> {
          logged.add(memory.readString(args[0], (int) args[1]));
          return new long[0];
        });
    try (Isolate isolate = lib(HOST_ADD, log).build()) {
      assertArrayEquals(new long[] {7}, isolate.call("add_via_host", 3, 2));
      assertArrayEquals(new long[] {10}, isolate.call("greet"));
      assertEquals(List.of("hello host"), logged);
    }
  }

  @Test
  void trapsTheGuestWhenAHostFunctionThrows() {
    HostFunction failing = HostFunction.of("env", "host_add", List.of(ValueType.I32, ValueType.I32),
        List.of(ValueType.I32), (memory, args) -> {
          throw new IllegalStateException("database unavailable");
        });
    try (Isolate isolate = lib(failing, LOG_IGNORED).build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("add_via_host", 1, 2));
      assertEquals(Termination.TRAP, e.termination());
      assertTrue(e.getMessage().contains("env.host_add") && e.getMessage().contains("database unavailable"),
          e::getMessage);
      assertArrayEquals(new long[] {3}, isolate.call("add", 1, 2), "the instance stays usable after a trap");
    }
  }

  @Test
  void boundsChecksGuestMemoryForHostFunctions() {
    HostFunction log = HostFunction.of("env", "log", List.of(ValueType.I32, ValueType.I32), List.of(),
        (memory, args) -> {
          memory.readString(args[0], (int) args[1]);
          return new long[0];
        });
    try (Isolate isolate = lib(HOST_ADD, log).build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("greet_out_of_bounds"));
      assertEquals(Termination.TRAP, e.termination());
      assertTrue(e.getMessage().contains("outside guest memory"), e::getMessage);
    }
  }

  @Test
  void reportsATrapInACallWithChicorysMessage() {
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED).build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("boom", 1));
      assertEquals(Termination.TRAP, e.termination());
      assertTrue(e.getMessage().toLowerCase().contains("unreachable"), e::getMessage);
      assertArrayEquals(new long[] {-1}, isolate.call("boom", -1));
    }
  }

  @Test
  void reportsExhaustingTheHostStackAsATrap() {
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED).build()) {
      assertArrayEquals(new long[] {121}, isolate.call("deep", 5));
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("deep", 50_000_000));
      assertEquals(Termination.TRAP, e.termination());
      assertTrue(e.getMessage().contains("stack"), e::getMessage);
      assertArrayEquals(new long[] {3}, isolate.call("add", 1, 2));
    }
  }

  @Test
  void stopsACallSpinningPastItsCpuTimeAndServesTheNext() {
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED)
        .limits(Limits.builder().cpuTime(Duration.ofMillis(150)).wallTime(Duration.ofSeconds(20)).build()).build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("spin"));
      assertEquals(Termination.CPU_LIMIT, e.termination(), e::getMessage);
      assertArrayEquals(new long[] {3}, isolate.call("add", 1, 2), "the next call has its own budget");
    }
  }

  @Test
  void stopsACallSpinningPastItsDeadline() {
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED)
        .limits(Limits.builder().wallTime(Duration.ofMillis(200)).build()).build()) {
      long start = System.nanoTime();
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("spin"));
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertEquals(Termination.TIMEOUT, e.termination());
      assertTrue(millis < 200 + 100, "stopped after " + millis + " ms");
      assertTrue(!Thread.currentThread().isInterrupted(), "the caller's interrupt flag is cleared");
      assertArrayEquals(new long[] {3}, isolate.call("add", 1, 2), "the next call has its own deadline");
    }
  }

  @Test
  void passesBytesInAndOutThroughTheAllocatorContract() {
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED).build()) {
      assertArrayEquals("HELLO, WORLD".getBytes(StandardCharsets.UTF_8),
          isolate.call("upper", "hello, world".getBytes(StandardCharsets.UTF_8)));
      assertArrayEquals(new byte[0], isolate.call("upper", new byte[0]));
      String big = "abc".repeat(5000);
      for (int i = 0; i < 20; i++) {
        assertEquals(big.toUpperCase(), new String(isolate.call("upper", big.getBytes(StandardCharsets.UTF_8)),
            StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void checksBytesRepliesAndSignatures() {
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED).build()) {
      GuestFailureException outside = assertThrows(GuestFailureException.class,
          () -> isolate.call("bad_reply", new byte[] {1}));
      assertEquals(Termination.TRAP, outside.termination());
      assertTrue(outside.getMessage().contains("outside guest memory"), outside::getMessage);
      io.isolate.CallException wrongType = assertThrows(io.isolate.CallException.class,
          () -> isolate.call("add", new byte[] {1}));
      assertTrue(wrongType.getMessage().contains("bytes call needs"), wrongType::getMessage);
    }
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED)
        .limits(Limits.builder().outputBytes(100).build()).build()) {
      GuestFailureException tooLong = assertThrows(GuestFailureException.class,
          () -> isolate.call("upper", new byte[1000]));
      assertEquals(Termination.OUTPUT_LIMIT, tooLong.termination());
    }
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(Fixtures.wasm("huge"))).build()) {
      io.isolate.CallException noAlloc = assertThrows(io.isolate.CallException.class,
          () -> isolate.call("huge", new byte[1]));
      assertTrue(noAlloc.getMessage().contains("isolate_alloc"), noAlloc::getMessage);
    }
  }

  @Test
  void rejectsUnknownFunctionsAndWrongArgumentCounts() {
    try (Isolate isolate = lib(HOST_ADD, LOG_IGNORED).build()) {
      io.isolate.CallException unknown = assertThrows(io.isolate.CallException.class, () -> isolate.call("nope"));
      assertTrue(unknown.getMessage().contains("add"), unknown::getMessage);
      assertThrows(io.isolate.CallException.class, () -> isolate.call("add", 1));
      // an i32 argument wider than 32 bits is refused, not cut (99999999999 would have been 1215752192)
      io.isolate.CallException wide = assertThrows(io.isolate.CallException.class,
          () -> isolate.call("add", 99_999_999_999L, 1));
      assertTrue(wide.getMessage().contains("argument 1 of add") && wide.getMessage().contains("32 bits"),
          wide.getMessage());
      assertEquals(-1, (int) isolate.call("add", 0xFFFF_FFFFL, 0)[0], "an unsigned i32 is taken");
      assertEquals(-2, (int) isolate.call("add", Integer.MIN_VALUE, Integer.MAX_VALUE - 1)[0], "a signed i32 too");
    }
  }

  @Test
  void refusesAHostFunctionWithTheWrongType() {
    HostFunction wrong = HostFunction.of("env", "host_add", List.of(ValueType.I64), List.of(ValueType.I32),
        (memory, args) -> new long[] {0});
    try (Isolate isolate = lib(wrong, LOG_IGNORED).build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("add", 1, 2));
      assertEquals(Termination.FAILED_TO_START, e.termination());
      assertTrue(e.getMessage().contains("env.host_add"), e::getMessage);
    }
  }

  @Test
  void aPluginHostCanHaveImportsCheckedAtBuild() {
    HostFunction wrong = HostFunction.of("env", "host_add", List.of(ValueType.I64), List.of(ValueType.I32),
        (memory, args) -> new long[] {0});
    WasmSettings linkAtBuild = WasmSettings.fromSystemProperties().withLinkAtBuild(true);
    io.isolate.StartFailedException e = assertThrows(io.isolate.StartFailedException.class,
        () -> lib(wrong, LOG_IGNORED).settings(linkAtBuild).build());
    assertTrue(e.getMessage().contains("env.host_add"), e::getMessage);
    try (Isolate linked = lib(HOST_ADD, LOG_IGNORED).settings(linkAtBuild).build()) {
      assertArrayEquals(new long[] {3}, linked.call("add", 1, 2));
    }
  }

  @Test
  void callsAfterCloseFail() {
    Isolate isolate = lib(HOST_ADD, LOG_IGNORED).build();
    isolate.call("add", 1, 2);
    isolate.close();
    assertThrows(IllegalStateException.class, () -> isolate.call("add", 1, 2));
  }
}
