package io.isolate.benchmarks;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A bytes call through the guest SDK on a live PROCESS isolate (the example plugin {@code text}: {@code nop} for
 * an empty call, {@code upper} for 1 KiB and 1 MiB), against the same plugin on a raw Chicory instance driven by
 * hand with the same exports (the SDK's contract, no limits, no checks): the same guest work, so the ratio is
 * what the isolate adds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PluginCallBenchmark {
  @Param({"0", "1024", "1048576"})
  public int size;

  private Isolate isolate;
  private String handler;
  private byte[] handlerName;
  private byte[] input;
  private Instance raw;
  private ExportFunction rawBuffer;
  private ExportFunction rawDispatch;
  private Memory rawMemory;

  @Setup
  public void setUp() {
    byte[] plugin = Fixtures.providerResource("META-INF/isolate/guest-sdk-wasm/examples/text.wasm");
    handler = size == 0 ? "nop" : "upper";
    handlerName = handler.getBytes(StandardCharsets.UTF_8);
    input = new byte[size];
    new Random(size).nextBytes(input);
    isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(plugin).withName("text"))
        .build();
    isolate.call(handler, input);

    WasmModule module = Parser.parse(plugin);
    WasiPreview1 wasi = WasiPreview1.builder().withOptions(WasiOptions.builder().build()).build();
    FunctionType twoI32 = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of());
    FunctionType threeI32 = FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of());
    raw = Instance.builder(module)
        .withImportValues(ImportValues.builder()
            .addFunction(wasi.toHostFunctions())
            .addFunction(new HostFunction("isolate", "serve", twoI32, (inst, args) -> null))
            .addFunction(new HostFunction("isolate", "log", threeI32, (inst, args) -> null))
            .build())
        .withMachineFactory(MachineFactoryCompiler.compile(module))
        .build();
    raw.export("_initialize").apply();
    raw.export("isolate_start").apply();
    rawBuffer = raw.export("isolate_call_buffer");
    rawDispatch = raw.export("isolate_dispatch");
    rawMemory = raw.memory();
  }

  @TearDown
  public void tearDown() {
    isolate.close();
  }

  @Benchmark
  public byte[] isolate() {
    return isolate.call(handler, input);
  }

  @Benchmark
  public byte[] rawChicory() {
    int at = (int) rawBuffer.apply(handlerName.length + input.length)[0];
    rawMemory.write(at, handlerName);
    rawMemory.write(at + handlerName.length, input);
    int record = (int) rawDispatch.apply(handlerName.length, input.length)[0];
    return rawMemory.readBytes(rawMemory.readInt(record + 4), rawMemory.readInt(record + 8));
  }
}
