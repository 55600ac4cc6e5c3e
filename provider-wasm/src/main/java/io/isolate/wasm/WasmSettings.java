package io.isolate.wasm;

import io.isolate.ProviderSettings;
import io.isolate.spi.SystemProperties;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Every setting of the PROCESS level, read from system properties here and nowhere else. The caches and the
 * compiler threads are made once per JVM, from the settings at their first use; the mount cap is read for each run.
 * The documentation site lists them on its settings page.
 *
 * @param maxModuleBytes {@value #MAX_MODULE_BYTES}: larger modules are refused before parsing (default 64 MiB)
 * @param maxImports {@value #MAX_IMPORTS}: modules with more imports are refused (default 10,000)
 * @param compileMaxFunctions {@value #COMPILE_MAX_FUNCTIONS}: a module with more is interpreted (default 10,000)
 * @param compileMaxImports {@value #COMPILE_MAX_IMPORTS}: a module with more is interpreted (default 1,000)
 * @param compileMaxBrTableTargets {@value #COMPILE_MAX_BR_TABLE_TARGETS}: a module with more {@code br_table}
 *     targets in all is interpreted (default 10,000)
 * @param compileThreads {@value #COMPILE_THREADS}: how many modules load at once (default half the processors,
 *     at least 2)
 * @param cacheBytes {@value #CACHE_BYTES}: the in-memory cache of loaded modules (default 256 MiB)
 * @param compiled {@value #ENGINE}: {@code compiler} (default) turns modules into JVM bytecode, {@code interpreter}
 *     interprets them
 * @param compilerCacheDir {@value #COMPILER_CACHE_DIR}: a directory that keeps compiled modules across JVMs (off by
 *     default; it must not be writable by other users)
 * @param maxMountBytes {@value #MAX_MOUNT_BYTES}: what a run's image mounts may copy into memory (default 256 MiB);
 *     directory mounts are the host's directories, live, and hold what the host's disk holds
 * @param linkAtBuild {@value #LINK_AT_BUILD}: load the module and check that every import is provided already in
 *     {@code build()}, which then fails with what is missing, as a plugin host wants; by default loading waits for
 *     the first run or call, under its wall-time limit (default false)
 */
public record WasmSettings(long maxModuleBytes, int maxImports, int compileMaxFunctions, int compileMaxImports,
    long compileMaxBrTableTargets, int compileThreads, long cacheBytes, boolean compiled,
    Optional<Path> compilerCacheDir, long maxMountBytes, boolean linkAtBuild) implements ProviderSettings {
  public static final String MAX_MODULE_BYTES = "isolate.wasm.maxModuleBytes";
  public static final String MAX_IMPORTS = "isolate.wasm.maxImports";
  public static final String COMPILE_MAX_FUNCTIONS = "isolate.wasm.compileMaxFunctions";
  public static final String COMPILE_MAX_IMPORTS = "isolate.wasm.compileMaxImports";
  public static final String COMPILE_MAX_BR_TABLE_TARGETS = "isolate.wasm.compileMaxBrTableTargets";
  public static final String COMPILE_THREADS = "isolate.wasm.compileThreads";
  public static final String CACHE_BYTES = "isolate.wasm.cacheBytes";
  public static final String ENGINE = "isolate.wasm.engine";
  public static final String COMPILER_CACHE_DIR = "isolate.wasm.compilerCacheDir";
  public static final String MAX_MOUNT_BYTES = "isolate.wasm.maxMountBytes";
  public static final String LINK_AT_BUILD = "isolate.wasm.linkAtBuild";

  /** The defaults, as documented above. */
  public static final WasmSettings DEFAULTS = new WasmSettings(64L << 20, 10_000, 10_000, 1_000, 10_000,
      Math.max(2, Runtime.getRuntime().availableProcessors() / 2), 256L << 20, true, Optional.empty(), 256L << 20,
      false);

  /**
   * These settings with another cap on what one run's mounts may copy and write, the one setting of this level that
   * belongs to an isolate (the others belong to the JVM's module cache and compiler threads).
   *
   * @param bytes the cap
   * @return the settings
   */
  public WasmSettings withMaxMountBytes(long bytes) {
    if (bytes < 0) {
      throw new io.isolate.InvalidSpecException("maxMountBytes (" + bytes + ") must not be negative");
    }
    return new WasmSettings(maxModuleBytes, maxImports, compileMaxFunctions, compileMaxImports,
        compileMaxBrTableTargets, compileThreads, cacheBytes, compiled, compilerCacheDir, bytes, linkAtBuild);
  }

  /**
   * These settings with {@code build()} loading the module and checking its imports (an isolate's own setting).
   *
   * @param link whether to
   * @return the settings
   */
  public WasmSettings withLinkAtBuild(boolean link) {
    return new WasmSettings(maxModuleBytes, maxImports, compileMaxFunctions, compileMaxImports,
        compileMaxBrTableTargets, compileThreads, cacheBytes, compiled, compilerCacheDir, maxMountBytes, link);
  }

  @Override
  public String firstJvmWideDifference(ProviderSettings jvm) {
    WasmSettings j = (WasmSettings) jvm;
    return withMaxMountBytes(j.maxMountBytes).withLinkAtBuild(j.linkAtBuild).equals(j) ? null
        : maxModuleBytes != j.maxModuleBytes ? "maxModuleBytes" : maxImports != j.maxImports ? "maxImports"
        : compileMaxFunctions != j.compileMaxFunctions ? "compileMaxFunctions"
        : compileMaxImports != j.compileMaxImports ? "compileMaxImports"
        : compileMaxBrTableTargets != j.compileMaxBrTableTargets ? "compileMaxBrTableTargets"
        : compileThreads != j.compileThreads ? "compileThreads" : cacheBytes != j.cacheBytes ? "cacheBytes"
        : compiled != j.compiled ? "compiled" : "compilerCacheDir";
  }

  /** The settings of {@code spec}: its own if it has them, else what the system properties say now. */
  static WasmSettings of(io.isolate.IsolateSpec spec) {
    return spec.settings(WasmSettings.class).orElseGet(WasmSettings::fromSystemProperties);
  }

  /**
   * The settings as the system properties say now.
   *
   * @return the settings
   * @throws IllegalStateException naming a property whose value does not parse
   */
  public static WasmSettings fromSystemProperties() {
    String engine = SystemProperties.string(ENGINE).orElse("compiler").toLowerCase(Locale.ROOT);
    if (!engine.equals("compiler") && !engine.equals("interpreter")) {
      throw new IllegalStateException("-D" + ENGINE + "=" + engine + " is neither compiler nor interpreter");
    }
    return new WasmSettings(
        SystemProperties.bytes(MAX_MODULE_BYTES, DEFAULTS.maxModuleBytes, 8),
        (int) SystemProperties.number(MAX_IMPORTS, DEFAULTS.maxImports, 0, 100_000),
        (int) SystemProperties.number(COMPILE_MAX_FUNCTIONS, DEFAULTS.compileMaxFunctions, 0, Integer.MAX_VALUE),
        (int) SystemProperties.number(COMPILE_MAX_IMPORTS, DEFAULTS.compileMaxImports, 0, Integer.MAX_VALUE),
        SystemProperties.number(COMPILE_MAX_BR_TABLE_TARGETS, DEFAULTS.compileMaxBrTableTargets, 0, Long.MAX_VALUE),
        (int) SystemProperties.number(COMPILE_THREADS, DEFAULTS.compileThreads, 1, 256),
        SystemProperties.bytes(CACHE_BYTES, DEFAULTS.cacheBytes, 0),
        engine.equals("compiler"),
        SystemProperties.directory(COMPILER_CACHE_DIR),
        SystemProperties.bytes(MAX_MOUNT_BYTES, DEFAULTS.maxMountBytes, 0),
        SystemProperties.flag(LINK_AT_BUILD));
  }
}
