package io.isolate.benchmarks;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Latency of an exported function call on a live PROCESS isolate, against the same call on a raw Chicory instance. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WasmCallBenchmark {
  private Isolate isolate;
  private ExportFunction rawAdd;
  private long i;

  @Setup
  public void setUp() {
    byte[] library = Fixtures.resource("add.wasm");
    isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(library).withName("add")).build();
    WasmModule module = Parser.parse(library);
    Instance instance = Instance.builder(module).withMachineFactory(MachineFactoryCompiler.compile(module))
        .build();
    rawAdd = instance.export("add");
  }

  @TearDown
  public void tearDown() {
    isolate.close();
  }

  @Benchmark
  public long isolate() {
    return isolate.call("add", i++, 2)[0];
  }

  @Benchmark
  public long rawChicory() {
    return rawAdd.apply(i++, 2)[0];
  }
}
