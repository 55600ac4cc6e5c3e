package io.isolate;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Publishes lifecycle events on the application's event bus. {@code EventBus.publish} only enqueues, so a
 * workload never waits for a listener; without a Vert.x instance nothing is published and none is created.
 */
final class EventPublisher {
  private static final EventPublisher NONE = new EventPublisher(null);
  private static final Map<Vertx, Boolean> CODEC_REGISTERED = Collections.synchronizedMap(new WeakHashMap<>());
  private static final DeliveryOptions LOCAL =
      new DeliveryOptions().setLocalOnly(true).setCodecName(LocalCodec.NAME);

  private final Vertx vertx;

  private EventPublisher(Vertx vertx) {
    this.vertx = vertx;
  }

  static EventPublisher of(IsolateSpec spec) {
    return spec.vertx().map(EventPublisher::forVertx).orElse(NONE);
  }

  private static EventPublisher forVertx(Vertx vertx) {
    CODEC_REGISTERED.computeIfAbsent(vertx, v -> {
      try {
        v.eventBus().registerCodec(new LocalCodec());
      } catch (IllegalStateException alreadyRegistered) {
        // another class loader or an earlier publisher registered it: the same codec by name
      }
      return Boolean.TRUE;
    });
    return new EventPublisher(vertx);
  }

  void publish(IsolateEvent event) {
    if (vertx != null) {
      vertx.eventBus().publish(IsolateEvent.ADDRESS, event, LOCAL);
    }
  }

  /** Passes events by reference: they are immutable and never leave the JVM. */
  private static final class LocalCodec implements MessageCodec<IsolateEvent, IsolateEvent> {
    static final String NAME = "isolate-event-local";

    @Override
    public void encodeToWire(Buffer buffer, IsolateEvent event) {
      throw new UnsupportedOperationException("isolate events are local-only");
    }

    @Override
    public IsolateEvent decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("isolate events are local-only");
    }

    @Override
    public IsolateEvent transform(IsolateEvent event) {
      return event;
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
