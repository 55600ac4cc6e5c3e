package io.isolate.pv;

import io.isolate.ProviderSettings;
import io.isolate.spi.SystemProperties;

/**
 * Every setting of the PARAVIRT level, read from system properties here and nowhere else (the VMM's own are in
 * {@link io.isolate.vm.VmSettings}). Read when an isolate starts. The documentation site lists them on its settings
 * page.
 *
 * @param callPolling {@value #CALL_POLLING}: {@code false} makes a caller wait for the guest's reply on its
 *     notification at once instead of polling the ring for an adaptive window first: less CPU for isolates that
 *     answer slowly, more latency for those that answer fast (default true)
 */
public record PvSettings(boolean callPolling) implements ProviderSettings {
  public static final String CALL_POLLING = "isolate.pv.callPolling";

  /** Call polling belongs to each isolate: nothing here belongs to the JVM. */
  @Override
  public String firstJvmWideDifference(ProviderSettings jvm) {
    return null;
  }

  /**
   * The settings as the system properties say now.
   *
   * @return the settings
   * @throws IllegalStateException naming a property whose value does not parse
   */
  public static PvSettings fromSystemProperties() {
    return new PvSettings(SystemProperties.string(CALL_POLLING).isEmpty() || SystemProperties.flag(CALL_POLLING));
  }
}
