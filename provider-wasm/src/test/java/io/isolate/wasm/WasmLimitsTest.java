package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.InvalidSpecException;
import io.isolate.IsolateSpec;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Output;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.Workload;
import java.io.InputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Memory, wall time and output limits, traps, and killing. */
class WasmLimitsTest {

  private static Limits wallTime(long millis) {
    return Limits.builder().wallTime(Duration.ofMillis(millis)).build();
  }

  @Test
  void stopsAGuestSpinningPastItsDeadline() {
    try (Isolate isolate = Fixtures.process("loop").limits(wallTime(300)).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.TIMEOUT, r.termination());
      assertEquals(-1, r.exitCode());
      long millis = r.usage().wallTime().toMillis();
      assertTrue(millis >= 300 && millis < 300 + 100, "ended after " + millis + " ms");
      assertTrue(r.detail().contains("wall-time"), r::toString);
      assertTrue(r.usage().cpuTime().orElseThrow().toMillis() > 10, "it spun: " + r.usage());
    }
  }

  @Test
  void stopsAnInterpretedGuestSpinningPastItsDeadline() {
    IsolateSpec spec = Fixtures.process("loop").limits(wallTime(300)).spec();
    WasmBackend backend = WasmBackend.create(spec, new ModuleCache(1 << 20, false));
    try {
      assertEquals(LoadedModule.Engine.INTERPRETED, backend.module().engine());
      ExitResult r = backend.start().await();
      assertEquals(Termination.TIMEOUT, r.termination());
      long millis = r.usage().wallTime().toMillis();
      assertTrue(millis >= 300 && millis < 300 + 100, "ended after " + millis + " ms");
    } finally {
      backend.close();
    }
  }

  @Test
  void abandonsAGuestStuckWhereNoInterruptReachesItAndStillReportsTheTimeout() {
    // A host-side stdin that ignores interrupts: the guest blocks in fd_read where Chicory cannot stop it.
    InputStream stubborn = new InputStream() {
      @Override
      public int read() {
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) {
          try {
            Thread.sleep(10);
          } catch (InterruptedException ignored) {
            // deliberately deaf
          }
        }
        return -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        return read();
      }
    };
    try (Isolate isolate = Fixtures.process("cat").stdin(Input.from(stubborn)).limits(wallTime(200)).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.TIMEOUT, r.termination());
      assertTrue(r.detail().contains("abandoned"), r::detail);
      long millis = r.usage().wallTime().toMillis();
      assertTrue(millis < 200 + WasmRun.GRACE_MILLIS + 100, "ended after " + millis + " ms");
    }
  }

  @Test
  void stopsAGuestBlockedOnAnOpenPipeAtItsDeadline() {
    try (Isolate isolate = Fixtures.process("cat").stdin(Input.pipe()).limits(wallTime(200)).build()) {
      Execution e = isolate.start();
      ExitResult r = e.await(Duration.ofSeconds(5));
      assertEquals(Termination.TIMEOUT, r.termination());
      assertTrue(r.usage().wallTime().toMillis() < 300, r::toString);
    }
  }

  @Test
  void reportsAMemoryBombAsMemoryLimitOnceGrowthWasRefused() {
    try (Isolate isolate = Fixtures.process("membomb")
        .limits(Limits.builder().memory(16, SizeUnit.MEGABYTES).wallTime(Duration.ofSeconds(10)).build())
        .build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.MEMORY_LIMIT, r.termination(), r::toString);
      assertTrue(r.detail().contains("memory.grow") && r.detail().contains("256 pages (16 MiB)"), r::detail);
      assertTrue(r.stderrText().startsWith("malloc failed after 1"), r::stderrText);
      long peak = r.usage().peakMemoryBytes().getAsLong();
      assertTrue(peak <= 16L << 20 && peak > 12L << 20, "peak " + peak);
    }
  }

  @Test
  void refusesAModuleDeclaringMoreMemoryThanTheLimit() {
    try (Isolate isolate = Fixtures.process("bigmem")
        .limits(Limits.builder().memory(64, SizeUnit.MEGABYTES).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.MEMORY_LIMIT, r.termination(), r::toString);
      assertTrue(r.detail().contains("needs at least") && r.detail().contains("1024 pages (64 MiB)"), r::detail);
    }
    try (Isolate isolate = Fixtures.process("bigmem")
        .limits(Limits.builder().memory(128, SizeUnit.MEGABYTES).build()).build()) {
      ExitResult r = isolate.run();
      assertTrue(r.isSuccess(), r::toString);
      assertEquals("1\n", r.stdoutText());
    }
  }

  /** {@code (module (table 5000000 funcref) (func (export "_start")))}, written out by hand. */
  static byte[] moduleWithAHugeTable() {
    return new byte[] {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
        0x03, 0x02, 0x01, 0x00, // one function of type 0
        0x04, 0x07, 0x01, 0x70, 0x00, (byte) 0xc0, (byte) 0x96, (byte) 0xb1, 0x02, // table: funcref, min 5M
        0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, // export "_start"
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b // empty body
    };
  }

  @Test
  void countsTablesAgainstTheMemoryLimitSoTheyCannotExhaustTheHeap() {
    // 5M elements at 16 bytes need 80 MiB: over a 64 MiB limit, within a 128 MiB one
    try (Isolate isolate = Isolate.builder().level(io.isolate.IsolationLevel.PROCESS)
        .workload(io.isolate.Workload.wasm(moduleWithAHugeTable())).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.MEMORY_LIMIT, r.termination(), r::toString);
      assertTrue(r.detail().contains("table of at least 5000000 elements"), r::detail);
    }
    try (Isolate isolate = Isolate.builder().level(io.isolate.IsolationLevel.PROCESS)
        .workload(io.isolate.Workload.wasm(moduleWithAHugeTable()))
        .limits(Limits.builder().memory(128, SizeUnit.MEGABYTES).build()).build()) {
      assertTrue(isolate.run().isSuccess());
    }
  }

  @Test
  void countsDiscardedOutputAgainstTheLimitToo() {
    try (Isolate isolate = Fixtures.process("flood").stdout(Output.discard())
        .limits(Limits.builder().output(1, SizeUnit.KILOBYTES).wallTime(Duration.ofSeconds(10)).build())
        .build()) {
      assertEquals(Termination.OUTPUT_LIMIT, isolate.run().termination());
    }
  }

  @Test
  void reportsAnUnreachableTrapWithChicorysMessage() {
    try (Isolate isolate = Fixtures.process("trap").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.TRAP, r.termination());
      assertTrue(r.detail().toLowerCase().contains("unreachable"), r::detail);
      assertFalse(r.detail().contains("\tat "), "no Java stack trace: " + r.detail());
    }
  }

  @Test
  void reportsADivisionByZeroAsATrap() {
    try (Isolate isolate = Fixtures.process("trap", "divzero").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.TRAP, r.termination());
      assertTrue(r.detail().toLowerCase().contains("divide by zero"), r::detail);
    }
  }

  @Test
  void reportsUnboundedRecursionAsATrapNotAJvmCrash() {
    // C keeps its frames in linear memory: the guest's own stack runs out first, an out-of-bounds access.
    try (Isolate isolate = Fixtures.process("trap", "recurse").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.TRAP, r.termination(), r::toString);
      assertTrue(r.detail().contains("out of bounds memory access"), r::detail);
    }
    try (Isolate isolate = Fixtures.process("hello").build()) {
      assertTrue(isolate.run().isSuccess(), "the guest thread survived");
    }
  }

  @Test
  void refusesACpuQuotaBelowOneUnlessUnenforcedLimitsAreAccepted() {
    Limits half = Limits.builder().cpus(0.5).build();
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> Fixtures.process("hello").limits(half).build());
    assertTrue(e.getMessage().contains("cpus (0.5)"), e::getMessage);
    try (Isolate isolate = Fixtures.process("hello").limits(half).acceptUnenforcedLimits(true).build()) {
      assertTrue(isolate.run().isSuccess());
    }
  }

  private static IsolateSpec tableSpec(byte[] module) {
    return Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module))
        .limits(Limits.builder().memory(64, SizeUnit.MEGABYTES).wallTime(Duration.ofSeconds(10)).build()).spec();
  }

  /**
   * {@code table.grow} answers -1 when the table cannot grow by the delta, which is an unsigned 32-bit number:
   * 0xFFFFFFFF, and deltas whose sum with the size overflows a Java int (Chicory computed a negative array size
   * there and the call died with an internal error), and deltas just past the limit. With both engines.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void tableGrowByAHugeDeltaReturnsMinusOne(boolean compiled) {
    WasmBackend backend = WasmBackend.create(tableSpec(ModuleBytes.tableGrow()),
        new ModuleCache(64L << 20, compiled));
    try {
      assertEquals(compiled ? LoadedModule.Engine.COMPILED : LoadedModule.Engine.INTERPRETED,
          backend.module().engine());
      for (long delta : new long[] {0xFFFFFFFFL, 0x7FFFFFFFL, 0x7FFFFFFEL, 0x80000000L, 0x10000000L}) {
        assertArrayEquals(new long[] {-1}, backend.call("grow", delta), () -> "table.grow by " + delta);
        assertArrayEquals(new long[] {1}, backend.call("size"), "a refused growth leaves the table as it was");
      }
      // and growing within the limit still works: the old size comes back
      assertArrayEquals(new long[] {1}, backend.call("grow", 3));
      assertArrayEquals(new long[] {4}, backend.call("size"));
      // 64 MiB at 16 bytes per element allow 4,194,304 elements: one more is refused, exactly that many is not
      assertArrayEquals(new long[] {-1}, backend.call("grow", 4_194_304 - 4 + 1));
      assertArrayEquals(new long[] {4}, backend.call("grow", 4_194_304 - 4));
      assertArrayEquals(new long[] {4_194_304}, backend.call("size"));
      assertArrayEquals(new long[] {-1}, backend.call("grow", 0xFFFFFFFFL));
    } finally {
      backend.close();
    }
  }
}
