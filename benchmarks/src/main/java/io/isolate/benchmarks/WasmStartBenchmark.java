package io.isolate.benchmarks;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * PROCESS level start to exit of a WASI hello world with a warm module cache, against raw Chicory doing the same
 * work with a compiled machine factory made once: our overhead as a ratio (goal: at most 1.2x).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WasmStartBenchmark {
  private byte[] hello;
  private WasmModule module;
  private Function<Instance, Machine> compiled;

  @Setup
  public void setUp() {
    hello = Fixtures.resource("hello.wasm");
    module = Parser.parse(hello);
    compiled = MachineFactoryCompiler.compile(module);
    isolate(); // warms the module cache
  }

  @Benchmark
  public ExitResult isolate() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(hello).withName("hello"))
        .build()) {
      ExitResult r = isolate.run();
      if (!r.isSuccess()) {
        throw new IllegalStateException(r.toString());
      }
      return r;
    }
  }

  @Benchmark
  public byte[] rawChicory() {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    WasiOptions options = WasiOptions.builder().withStdout(stdout).withStderr(stderr)
        .withArguments(List.of("hello")).build();
    try (WasiPreview1 wasi = WasiPreview1.builder().withOptions(options).build()) {
      Instance instance = Instance.builder(module).withMachineFactory(compiled)
          .withImportValues(ImportValues.builder().addFunction(wasi.toHostFunctions()).build())
          .withStart(false).build();
      try {
        instance.export("_start").apply();
      } catch (WasiExitException e) {
        if (e.exitCode() != 0) {
          throw e;
        }
      }
    }
    return stdout.toByteArray();
  }
}
