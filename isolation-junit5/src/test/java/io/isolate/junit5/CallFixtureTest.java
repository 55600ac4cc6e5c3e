package io.isolate.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.HostFunction;
import io.isolate.HostFunction.ValueType;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A function-style PROCESS fixture: built once for the class, called by every test, with host functions. */
@IsolateTest
class CallFixtureTest {
  @Fixture
  static IsolateFixture plugin = IsolateFixture.forCalls(Isolate.builder()
      .level(IsolationLevel.PROCESS)
      .workload(Workload.wasm(Path.of("../provider-wasm/src/test/resources/wasm/lib.wasm")))
      .hostFunction(HostFunction.of("env", "host_add", List.of(ValueType.I32, ValueType.I32),
          List.of(ValueType.I32), (memory, args) -> new long[] {args[0] + args[1]}))
      .hostFunction(HostFunction.of("env", "log", List.of(ValueType.I32, ValueType.I32), List.of(),
          (memory, args) -> new long[0])));

  @Test
  void callsAnExport(@Fixture Isolate isolate) {
    assertEquals(5, isolate.call("add", 2, 3)[0]);
  }

  @Test
  void callsThroughAHostFunction(@Fixture Isolate isolate) {
    assertEquals(12, isolate.call("add_via_host", 2, 5)[0]);
  }
}
