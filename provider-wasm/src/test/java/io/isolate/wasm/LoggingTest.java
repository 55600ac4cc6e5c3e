package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Isolate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Logging is off until asked for (everything routine is DEBUG, below the JDK's default INFO), and says what happened
 * once turned on: the lifecycle of each isolate and each module load. System.Logger goes to java.util.logging
 * here, as in any application without another logging backend.
 */
class LoggingTest {
  /** Keeps every record it is given, as "logger LEVEL message". */
  private static final class Recorder extends Handler {
    final List<LogRecord> records = new CopyOnWriteArrayList<>();

    @Override
    public void publish(LogRecord r) {
      records.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  /** Runs the hello module with a recorder on the {@code io.isolate} loggers at {@code level}. */
  private static Recorder runHello(Level level) {
    Recorder recorder = new Recorder();
    Logger root = Logger.getLogger("io.isolate");
    Level previous = root.getLevel();
    root.setLevel(level);
    root.addHandler(recorder);
    try (Isolate isolate = Fixtures.process("hello").build()) {
      assertTrue(isolate.run().isSuccess());
    } finally {
      root.removeHandler(recorder);
      root.setLevel(previous);
    }
    return recorder;
  }

  @Test
  void debugShowsTheLifecycleAndTheModuleLoad() {
    List<String> messages = runHello(Level.FINE).records.stream()
        .map(r -> r.getLoggerName() + " " + r.getLevel() + " " + r.getMessage()).toList();
    for (String event : List.of("CREATED", "STARTED", "EXITED", "CLOSED")) {
      assertTrue(messages.stream().anyMatch(m -> m.startsWith("io.isolate FINE isolate ") && m.contains("): " + event)),
          event + " not logged: " + messages);
    }
  }

  @Test
  void nothingRoutineIsAtInfoOrAbove() {
    List<String> loud = runHello(null).records.stream()
        .filter(r -> r.getLevel().intValue() >= Level.INFO.intValue())
        .map(r -> r.getLoggerName() + " " + r.getLevel() + " " + r.getMessage()).toList();
    assertTrue(loud.isEmpty(), "logged at INFO or above during a plain run: " + loud);
  }
}
