package io.isolate.vertx;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Isolate;
import io.isolate.IsolateEvent;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A PROCESS isolate's lifecycle events arrive on the application's Vert.x event bus, in order. */
class VertxEventsTest {
  /** The smallest WASI command: a {@code _start} that returns at once. */
  private static final byte[] EMPTY_COMMAND = {0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      1, 4, 1, 0x60, 0, 0, // type section: () -> ()
      3, 2, 1, 0, // function section: one function of type 0
      7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0, // export "_start" = function 0
      10, 4, 1, 2, 0, 0x0b}; // code: an empty body

  private Vertx vertx;
  private final List<IsolateEvent> received = new CopyOnWriteArrayList<>();

  @BeforeEach
  void listen() {
    vertx = Vertx.vertx();
    vertx.eventBus().<IsolateEvent>consumer(VertxEvents.ADDRESS, m -> received.add(m.body()))
        .completion().toCompletionStage().toCompletableFuture().join();
  }

  @AfterEach
  void stop() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  @Test
  void publishesEveryEventOfARunInOrder() {
    String id;
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(EMPTY_COMMAND))
        .events(VertxEvents.publisher(vertx)).build()) {
      id = isolate.id();
      assertTrue(isolate.run().isSuccess());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> types(id).size() == 4);
    assertEquals(List.of(IsolateEvent.Type.CREATED, IsolateEvent.Type.STARTED, IsolateEvent.Type.EXITED,
        IsolateEvent.Type.CLOSED), types(id));
  }

  @Test
  void twoPublishersOnOneVertxShareTheCodec() {
    VertxEvents.publisher(vertx);
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(EMPTY_COMMAND))
        .events(VertxEvents.publisher(vertx)).build()) {
      assertTrue(isolate.run().isSuccess());
    }
  }

  private List<IsolateEvent.Type> types(String id) {
    return received.stream().filter(e -> e.isolateId().equals(id)).map(IsolateEvent::type)
        .collect(Collectors.toList());
  }
}
