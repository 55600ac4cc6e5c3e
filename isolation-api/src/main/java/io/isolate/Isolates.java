package io.isolate;

import io.isolate.internal.IsolateRuntime;
import io.isolate.internal.NetworkHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Entry points that are not tied to one isolate: {@link #doctor()} and {@link #create(IsolateSpec)}.
 *
 * <pre>{@code
 * System.out.print(Isolates.doctor());   // every level, available or not, and why
 * }</pre>
 *
 * <p>Providers are found with {@link ServiceLoader} on the class path or module path (each provider's artifact
 * brings the runtime, {@code io.isolate:isolation-spi}, that finds them). A level can be switched off with the system
 * property {@code isolate.<level>.disabled=true} (for example {@code -Disolate.hardware.disabled=true}). Each
 * provider is probed once per JVM, on first use: building an isolate probes its level alone.
 */
public final class Isolates {
  /** The runtime, when a provider brought it; absent when only the API is on the class path. */
  private static final IsolateRuntime RUNTIME =
      ServiceLoader.load(IsolateRuntime.class, Isolates.class.getClassLoader()).findFirst().orElse(null);

  private Isolates() {}

  /**
   * Reports every level: available or not on this host, and exactly why. Levels not probed yet are probed in
   * parallel (each probe does the real thing: opens {@code /dev/kvm}, runs the helper, instantiates a module), so the
   * first call costs about as much as the slowest probe, and later calls nothing.
   */
  public static DoctorReport doctor() {
    if (RUNTIME != null) {
      return RUNTIME.doctor();
    }
    List<DoctorReport.LevelStatus> levels = new ArrayList<>();
    for (IsolationLevel level : IsolationLevel.values()) {
      levels.add(new DoctorReport.LevelStatus(level, "", IsolateRuntime.noProvider(level)));
    }
    return new DoctorReport(levels);
  }

  /** Whether {@code level} can be provided here; see {@link #doctor()} for all levels at once. */
  public static Availability availability(IsolationLevel level) {
    return RUNTIME == null ? IsolateRuntime.noProvider(level) : RUNTIME.availability(level);
  }

  /** A network's handle from the OS level's provider; see {@link IsolateNetwork#create()}. */
  static NetworkHandle createNetwork() {
    if (RUNTIME == null) {
      throw new LevelUnavailableException(IsolationLevel.OS, IsolateRuntime.noProvider(IsolationLevel.OS)
          .explanation());
    }
    return RUNTIME.createNetwork();
  }

  /**
   * Creates an isolate from a spec; {@link Isolate.Builder#build()} calls this.
   *
   * @throws LevelUnavailableException when the level cannot be provided here
   * @throws InvalidSpecException when the level does not run this kind of workload, or a setting is another level's
   */
  public static Isolate create(IsolateSpec spec) {
    if (RUNTIME == null) {
      throw new LevelUnavailableException(spec.level(), IsolateRuntime.noProvider(spec.level()).explanation());
    }
    return RUNTIME.create(spec);
  }
}
