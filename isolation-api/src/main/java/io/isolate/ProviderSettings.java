package io.isolate;

/**
 * The settings of one level's provider, given to an isolate with {@link Isolate.Builder#settings}. Each provider
 * has one record of them ({@code WasmSettings}, {@code ContainerSettings}, {@code VmSettings}, {@code PvSettings}),
 * whose defaults come from system properties ({@code SomeSettings.fromSystemProperties()}). A setting that belongs to
 * one isolate (a cap, a directory) is honoured for that isolate; one that belongs to the whole JVM (a cache, a
 * thread pool) must equal the JVM's, or the isolate is refused: a setting is honoured or refused, never ignored.
 * Settings of another level than the isolate's are refused too.
 */
public interface ProviderSettings {
  /**
   * The first setting, by its name in the record, that differs from {@code jvm} although it belongs to the whole
   * JVM; null when none does.
   *
   * @param jvm the settings the JVM runs with
   * @return the name of the setting, or null
   */
  String firstJvmWideDifference(ProviderSettings jvm);
}
