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
  @Test
  void debugShowsTheLifecycleAndTheModuleLoad() {
    List<String> messages = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        messages.add(r.getLoggerName() + " " + r.getLevel() + " " + r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger root = Logger.getLogger("io.isolate");
    Level previous = root.getLevel();
    root.setLevel(Level.FINE);
    root.addHandler(handler);
    String id;
    try (Isolate isolate = Fixtures.process("hello").build()) {
      id = isolate.id();
      assertTrue(isolate.run().isSuccess());
    } finally {
      root.removeHandler(handler);
      root.setLevel(previous);
    }
    for (String event : List.of("CREATED", "STARTED", "EXITED", "CLOSED")) {
      assertTrue(messages.stream().anyMatch(m -> m.startsWith("io.isolate FINE isolate " + id)
          && m.contains("): " + event)), event + " not logged: " + messages);
    }
  }

  @Test
  void nothingRoutineIsAtInfoOrAbove() {
    List<String> loud = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.INFO.intValue()) {
          loud.add(r.getLoggerName() + " " + r.getLevel() + " " + r.getMessage());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger root = Logger.getLogger("io.isolate");
    root.addHandler(handler);
    try (Isolate isolate = Fixtures.process("hello").build()) {
      assertTrue(isolate.run().isSuccess());
    } finally {
      root.removeHandler(handler);
    }
    assertTrue(loud.isEmpty(), "logged at INFO or above during a plain run: " + loud);
  }
}
