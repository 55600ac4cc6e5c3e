package io.isolate.internal;

import io.isolate.Availability;
import io.isolate.DoctorReport;
import io.isolate.Isolate;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;

/**
 * What carries isolates out behind {@link io.isolate.Isolates}: the module {@code io.isolate.spi} (artifact
 * {@code isolation-spi}) provides the one implementation, which finds the providers and wraps what they make. Every
 * provider depends on that module, so an application that has a provider has the runtime; one that has only the API
 * has neither, and is told which module to add.
 *
 * <p>Not an API: this package is exported to the runtime's module alone.
 */
public interface IsolateRuntime {
  /** Every level, available or not, and why; levels not probed yet are probed. */
  DoctorReport doctor();

  /** Whether {@code level} can be provided here. */
  Availability availability(IsolationLevel level);

  /** An isolate of {@code spec}, from its level's provider. */
  Isolate create(IsolateSpec spec);

  /** A network's handle, from the OS level's provider. */
  NetworkHandle createNetwork();

  /** The artifact that provides {@code level}, for messages that tell the user what to add. */
  static String moduleOf(IsolationLevel level) {
    return switch (level) {
      case HARDWARE -> "io.isolate:provider-vm";
      case PARAVIRT -> "io.isolate:provider-pv";
      case OS -> "io.isolate:provider-container";
      case PROCESS -> "io.isolate:provider-wasm";
    };
  }

  /** What a level without a provider on the class path is. */
  static Availability noProvider(IsolationLevel level) {
    return Availability.unavailable("no provider on the class path; add the module " + moduleOf(level));
  }
}
