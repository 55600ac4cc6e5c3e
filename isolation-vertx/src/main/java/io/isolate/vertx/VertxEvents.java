package io.isolate.vertx;

import io.isolate.IsolateEvent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.function.Consumer;

/**
 * Publishes isolates' lifecycle events on a Vert.x event bus at {@link #ADDRESS}. {@code EventBus.publish} only
 * enqueues, so an isolate never waits for a consumer. Events pass by reference (they are immutable) and never leave
 * the JVM.
 *
 * <pre>{@code
 * vertx.eventBus().<IsolateEvent>consumer(VertxEvents.ADDRESS, m -> log(m.body()));
 * Isolate isolate = Isolate.builder()...events(VertxEvents.publisher(vertx)).build();
 * }</pre>
 */
public final class VertxEvents {
  /** The event bus address of every lifecycle event. */
  public static final String ADDRESS = "isolate.lifecycle";

  private static final Map<Vertx, Boolean> CODEC_REGISTERED = Collections.synchronizedMap(new WeakHashMap<>());
  private static final DeliveryOptions LOCAL =
      new DeliveryOptions().setLocalOnly(true).setCodecName(LocalCodec.NAME);

  private VertxEvents() {}

  /** A listener for {@code Isolate.Builder.events} that publishes on {@code vertx}'s event bus. */
  public static Consumer<IsolateEvent> publisher(Vertx vertx) {
    Objects.requireNonNull(vertx, "vertx");
    CODEC_REGISTERED.computeIfAbsent(vertx, v -> {
      try {
        v.eventBus().registerCodec(new LocalCodec());
      } catch (IllegalStateException alreadyRegistered) {
        // another class loader registered it first: the same codec by name
      }
      return Boolean.TRUE;
    });
    return event -> vertx.eventBus().publish(ADDRESS, event, LOCAL);
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
