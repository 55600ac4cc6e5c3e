package io.isolate.wasm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Isolate;
import io.isolate.IsolateEvent;
import io.isolate.Limits;
import io.isolate.Termination;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Lifecycle events of PROCESS isolates, given to the application's listener. */
class WasmLifecycleEventsTest {
  private final List<IsolateEvent> events = new CopyOnWriteArrayList<>();
  private final java.util.function.Consumer<IsolateEvent> listener = events::add;

  private List<IsolateEvent.Type> typesOf(String isolateId) {
    return events.stream().filter(e -> e.isolateId().equals(isolateId)).map(IsolateEvent::type)
        .collect(Collectors.toList());
  }

  @Test
  void publishesCreatedStartedExitedAndClosed() {
    String id;
    try (Isolate isolate = Fixtures.process("hello").events(listener).build()) {
      id = isolate.id();
      assertTrue(isolate.run().isSuccess());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> typesOf(id).equals(List.of(IsolateEvent.Type.CREATED,
        IsolateEvent.Type.STARTED, IsolateEvent.Type.EXITED, IsolateEvent.Type.CLOSED)));
    IsolateEvent exited = events.stream().filter(e -> e.isolateId().equals(id)
        && e.type() == IsolateEvent.Type.EXITED).findFirst().orElseThrow();
    assertEquals("chicory", exited.provider());
    assertEquals("hello from wasm\n", exited.result().orElseThrow().stdoutText());
  }

  @Test
  void publishesLimitExceededWhenTheDeadlinePasses() {
    String id;
    try (Isolate isolate = Fixtures.process("loop").events(listener)
        .limits(Limits.builder().wallTime(Duration.ofMillis(100)).build()).build()) {
      id = isolate.id();
      isolate.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> typesOf(id).contains(IsolateEvent.Type.LIMIT_EXCEEDED));
    }
    IsolateEvent limit = events.stream().filter(e -> e.isolateId().equals(id)
        && e.type() == IsolateEvent.Type.LIMIT_EXCEEDED).findFirst().orElseThrow();
    assertEquals(Termination.TIMEOUT, limit.result().orElseThrow().termination());
    await().atMost(Duration.ofSeconds(5)).until(() -> typesOf(id).contains(IsolateEvent.Type.CLOSED));
  }

  @Test
  void publishesKilled() {
    String id;
    try (Isolate isolate = Fixtures.process("loop").events(listener).build()) {
      id = isolate.id();
      isolate.start().kill();
      await().atMost(Duration.ofSeconds(5)).until(() -> typesOf(id).contains(IsolateEvent.Type.KILLED));
    }
  }

  @Test
  void publishesExitedForAFailureToStart() {
    String id;
    try (Isolate isolate = Fixtures.process("unknown_import").events(listener).build()) {
      id = isolate.id();
      assertEquals(Termination.FAILED_TO_START, isolate.run().termination());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> typesOf(id).equals(List.of(IsolateEvent.Type.CREATED,
        IsolateEvent.Type.STARTED, IsolateEvent.Type.EXITED, IsolateEvent.Type.CLOSED)));
  }

  @Test
  void aListenerThatThrowsDoesNotDisturbTheIsolate() {
    try (Isolate isolate = Fixtures.process("hello").events(e -> {
      throw new IllegalStateException("a broken listener");
    }).build()) {
      assertTrue(isolate.run().isSuccess());
    }
  }
}
