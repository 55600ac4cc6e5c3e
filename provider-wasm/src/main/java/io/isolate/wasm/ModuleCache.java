package io.isolate.wasm;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Parsed and compiled modules by the SHA-256 of their bytes, so that a second isolate of the same module neither
 * parses nor compiles again. Parsing a module takes about 160 ms and compiling it about 400 ms on the
 * reference machine; a cached module is instantiated in well under a millisecond.
 *
 * <p>Chicory's runtime compiler is used by default. If it refuses a module (typically a function too large for one
 * JVM method), the module is compiled again with Chicory's per-function interpreter fallback, so that only the
 * offending functions are interpreted ({@link LoadedModule.Engine#MIXED}); if that fails too, the whole module is
 * interpreted. The cache entry records which and why ({@link LoadedModule#engineNote()}). The system property {@code isolate.wasm.engine=interpreter} skips the
 * compiler altogether, which pays off for one-shot runs in a fresh JVM; {@code isolate.wasm.compilerCacheDir}
 * keeps compiled classes on disk for the next JVM instead ({@link DiskCompilerCache}). The cache holds modules up to
 * {@code isolate.wasm.cacheBytes} bytes of module code in total (default 256 MiB), least recently used first
 * out. Failures (malformed modules) are not cached.
 */
final class ModuleCache {
  private static final long DEFAULT_MAX_BYTES = 256L << 20;

  private final Cache<String, LoadedModule> cache;
  private final boolean compile;
  private final DiskCompilerCache diskCache;
  private final AtomicLong parses = new AtomicLong();
  private final AtomicLong compilations = new AtomicLong();

  ModuleCache(long maxBytes, boolean compile) {
    this(maxBytes, compile, null);
  }

  ModuleCache(long maxBytes, boolean compile, DiskCompilerCache diskCache) {
    this.diskCache = diskCache;
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((String key, LoadedModule m) -> m.sizeBytes())
        .build();
    this.compile = compile;
  }

  /** The cache every isolate of this JVM shares, configured from system properties. */
  static ModuleCache shared() {
    return Shared.INSTANCE;
  }

  private static final class Shared {
    static final ModuleCache INSTANCE = new ModuleCache(
        Long.getLong("isolate.wasm.cacheBytes", DEFAULT_MAX_BYTES),
        !"interpreter".equals(System.getProperty("isolate.wasm.engine", "compiler").toLowerCase(Locale.ROOT)),
        DiskCompilerCache.fromSystemProperty(WasmProvider.chicoryVersion()));
  }

  /**
   * Returns the module with these bytes, parsing and compiling it on first use. Concurrent first uses of the same
   * module wait for one another, so the work is done once.
   *
   * @throws com.dylibso.chicory.wasm.ChicoryException when the bytes are not a valid module
   */
  LoadedModule load(byte[] bytes) {
    String key = sha256(bytes);
    return cache.get(key, k -> loadNow(k, bytes));
  }

  /**
   * Chicory 1.7.5 validates SIMD (v128) instructions but neither of its machines runs them: a module using them
   * would start and then fail at the first one with an internal error. It is refused before it starts, naming the
   * first such instruction.
   */
  static void refuseSimd(WasmModule module) {
    var bodies = module.codeSection().functionBodies();
    for (int f = 0; f < bodies.length; f++) {
      for (var instruction : bodies[f].instructions()) {
        if ((instruction.opcode().opcode() >> 8) == 0xfd) {
          throw new IllegalArgumentException("it uses SIMD (v128) instructions, which the PROCESS level does not run"
              + " (" + instruction.opcode().name().toLowerCase(java.util.Locale.ROOT) + " in function " + f
              + " of the code section); build it without SIMD (clang: -mno-simd128)");
        }
      }
    }
  }

  private LoadedModule loadNow(String key, byte[] bytes) {
    parses.incrementAndGet();
    WasmModule module = Parser.parse(bytes);
    refuseSimd(module);
    Function<Instance, Machine> interpreter = InterpreterMachine::new;
    if (!compile) {
      return new LoadedModule(key, module, interpreter, LoadedModule.Engine.INTERPRETED,
          "the interpreter was chosen with isolate.wasm.engine", bytes.length);
    }
    compilations.incrementAndGet();
    try {
      return new LoadedModule(key, module, compile(module, InterpreterFallback.FAIL), LoadedModule.Engine.COMPILED,
          "", bytes.length);
    } catch (RuntimeException | LinkageError | StackOverflowError strict) {
      // Some function does not fit one JVM method (or the compiler failed otherwise): let Chicory interpret just
      // the functions it cannot compile, and if even that fails, interpret the module.
      try {
        return new LoadedModule(key, module, compile(module, InterpreterFallback.SILENT), LoadedModule.Engine.MIXED,
            "some functions run interpreted: " + Outcome.messageOf(strict), bytes.length);
      } catch (RuntimeException | LinkageError | StackOverflowError e) {
        return new LoadedModule(key, module, interpreter, LoadedModule.Engine.INTERPRETED,
            "the compiler failed (" + Outcome.messageOf(e) + "); interpreting", bytes.length);
      }
    }
  }

  private Function<Instance, Machine> compile(WasmModule module, InterpreterFallback fallback) {
    MachineFactoryCompiler.Builder compiler = MachineFactoryCompiler.builder(module).withInterpreterFallback(fallback);
    if (diskCache != null) {
      compiler.withCache(diskCache);
    }
    return compiler.compile();
  }

  /** Whether modules are compiled (the default) or interpreted. */
  boolean compiles() {
    return compile;
  }

  /** How many modules were parsed since this cache was made: a cache hit parses nothing. */
  long parses() {
    return parses.get();
  }

  /** How many modules were compiled since this cache was made. */
  long compilations() {
    return compilations.get();
  }

  /** Drops every cached module. */
  void clear() {
    cache.invalidateAll();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
