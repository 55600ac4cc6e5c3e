package io.isolate.runtime;

import io.isolate.IsolateEvent;
import io.isolate.IsolateSpec;
import java.util.function.Consumer;

/**
 * Hands an isolate's lifecycle events to the application's listener, if it gave one. A listener that throws does not
 * disturb the isolate: what it throws is logged (logger {@code io.isolate}, level WARNING) and the isolate goes on.
 */
final class EventPublisher {
  private static final EventPublisher NONE = new EventPublisher(null);
  private static final System.Logger LOG = System.getLogger("io.isolate");

  private final Consumer<? super IsolateEvent> listener;

  private EventPublisher(Consumer<? super IsolateEvent> listener) {
    this.listener = listener;
  }

  static EventPublisher of(IsolateSpec spec) {
    return spec.eventListener().<EventPublisher>map(EventPublisher::new).orElse(NONE);
  }

  void publish(IsolateEvent event) {
    if (listener == null) {
      return;
    }
    try {
      listener.accept(event);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "the lifecycle event listener threw on " + event.type() + " of isolate "
          + event.isolateId(), e);
    }
  }
}
