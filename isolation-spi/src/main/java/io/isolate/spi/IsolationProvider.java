package io.isolate.spi;

import io.isolate.Availability;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import java.util.Set;

/** Implements one {@link IsolationLevel}. Implementations need a public no-argument constructor. */
public interface IsolationProvider {
  /** A network isolates of this level can share (see {@link io.isolate.IsolateNetwork}); the OS level has them. */
  default NetworkBackend createNetwork() {
    throw new UnsupportedOperationException("level " + level() + " has no networks of isolates");
  }

  /** The level this provider implements. */
  IsolationLevel level();

  /** A short name for reports and events, for example {@code chicory} or {@code kvm}. */
  String name();

  /** The type of this provider's settings ({@link io.isolate.ProviderSettings}); null when it has none. */
  default Class<? extends io.isolate.ProviderSettings> settingsType() {
    return null;
  }

  /**
   * The settings this provider's JVM-wide parts (caches, pools, the helper) were made with, or what the system
   * properties say if they are not made yet; null when it has no settings.
   */
  default io.isolate.ProviderSettings jvmSettings() {
    return null;
  }

  /** The workload kinds this provider runs. */
  Set<Workload.Kind> workloadKinds();

  /**
   * Finds out, by doing the real thing (open the device, run the helper, instantiate a tiny module), whether
   * this host can provide the level. Called at most once per JVM; must not throw.
   */
  Availability probe();

  /**
   * Sets up an isolate for {@code spec}, whose level and workload kind this provider accepts and whose
   * availability has been probed.
   *
   * @throws io.isolate.InvalidSpecException when the spec asks for something this level cannot do
   * @throws io.isolate.StartFailedException when the set-up fails
   */
  IsolateBackend create(IsolateSpec spec);
}
