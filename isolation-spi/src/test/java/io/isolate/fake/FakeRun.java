package io.isolate.fake;

import io.isolate.Execution;
import io.isolate.IsolateSpec;
import io.isolate.Termination;
import io.isolate.spi.RunSupervisor;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * One run of the fake provider: the program is the workload's bytes as text, one of {@code print TEXT},
 * {@code exit CODE}, {@code cat}, {@code spin}, {@code flood}, {@code hoard} (a megabyte more every millisecond)
 * and {@code env}. It runs on a thread of its own under a {@link RunSupervisor}, as a real provider's guest does: a
 * stop (deadline, kill, a limit) is noticed by the program at its next step, and a blocked {@code cat} is woken by
 * closing its stdin.
 */
final class FakeRun implements RunSupervisor.Guest {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final IsolateSpec spec;
  private final RunSupervisor supervisor;
  private final PipedOutputStream stdinWriter = new PipedOutputStream();
  private final PipedInputStream stdin;
  private volatile Thread thread;
  private volatile long cpuStart = -1;

  FakeRun(IsolateSpec spec) {
    this.spec = spec;
    this.supervisor = new RunSupervisor(spec, Duration.ofMillis(250));
    try {
      this.stdin = new PipedInputStream(stdinWriter, 1 << 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the program; the run is seen through the returned supervisor. */
  Execution start() {
    supervisor.attach(this);
    supervisor.feedStdin(stdinWriter);
    supervisor.arm();
    Thread t = new Thread(this::run, "fake-provider-run");
    t.setDaemon(true);
    thread = t;
    t.start();
    return supervisor;
  }

  @Override
  public void stop(Termination reason) {
    try {
      stdinWriter.close(); // a cat blocked on its stdin sees its end
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public long cpuTimeNanos() {
    Thread t = thread;
    long start = cpuStart;
    return t == null || start < 0 ? -1 : THREADS.getThreadCpuTime(t.getId()) - start;
  }

  private boolean stopped() {
    return supervisor.stopReason() != null;
  }

  private void run() {
    long cpu0 = THREADS.getCurrentThreadCpuTime();
    cpuStart = cpu0;
    String program = new String(spec.workload().content(), StandardCharsets.UTF_8).trim();
    String op = program.split(" ", 2)[0];
    String arg = program.contains(" ") ? program.substring(program.indexOf(' ') + 1) : "";
    RunSupervisor.Ending ending;
    long memory = 0;
    try {
      int exitCode = 0;
      switch (op) {
        case "print" -> write(arg + "\n");
        case "exit" -> exitCode = Integer.parseInt(arg);
        case "cat" -> {
          byte[] buffer = new byte[4096];
          for (int n; !stopped() && (n = stdin.read(buffer)) > 0; ) {
            supervisor.stdout().write(buffer, 0, n);
          }
        }
        case "spin", "flood", "hoard" -> {
          while (!stopped()) {
            if (op.equals("flood")) {
              write("line of an endless flood\n");
            } else if (op.equals("hoard")) {
              memory += 1 << 20;
              if (memory > spec.limits().memoryBytes()) {
                memory = spec.limits().memoryBytes();
                supervisor.stop(Termination.MEMORY_LIMIT);
              }
              Thread.sleep(1);
            }
          }
        }
        case "env" -> {
          for (Map.Entry<String, String> e : spec.env().entrySet()) {
            write(e.getKey() + "=" + e.getValue() + "\n");
          }
        }
        default -> throw new IllegalArgumentException("the fake provider has no instruction '" + op + "'");
      }
      ending = RunSupervisor.Ending.exited(exitCode);
    } catch (IOException | InterruptedException | RuntimeException e) {
      ending = RunSupervisor.Ending.of(Termination.FAULT, -1, "the fake program failed: " + e);
    }
    supervisor.finish(ending.cpuTime(Duration.ofNanos(THREADS.getCurrentThreadCpuTime() - cpu0))
        .peakMemoryBytes(memory));
  }

  private void write(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    supervisor.stdout().write(bytes, 0, bytes.length);
  }
}
