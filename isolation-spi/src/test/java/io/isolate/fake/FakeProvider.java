package io.isolate.fake;

import io.isolate.Availability;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.isolate.spi.IsolateBackend;
import io.isolate.spi.IsolationProvider;
import java.util.Set;

/**
 * A provider in Java alone, for the API's own tests: it drives {@code DefaultIsolate} through the SPI as a real
 * provider does, at level PROCESS (registered only in the API module's tests). Its workload is a one-line program
 * in place of the module's bytes ({@link FakeRun} lists the instructions), and it enforces every limit the
 * conformance kit pushes.
 */
public final class FakeProvider implements IsolationProvider {
  @Override
  public IsolationLevel level() {
    return IsolationLevel.PROCESS;
  }

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public Set<Workload.Kind> workloadKinds() {
    return Set.of(Workload.Kind.WASM_MODULE);
  }

  @Override
  public Availability probe() {
    return Availability.available("a fake provider for the API's tests");
  }

  @Override
  public IsolateBackend create(IsolateSpec spec) {
    return new IsolateBackend() {
      private volatile io.isolate.Execution current;

      @Override
      public io.isolate.Execution start() {
        io.isolate.Execution run = new FakeRun(spec).start();
        current = run;
        return run;
      }

      @Override
      public void close() {
        io.isolate.Execution run = current;
        if (run != null) {
          run.kill();
          run.await();
        }
      }
    };
  }
}
