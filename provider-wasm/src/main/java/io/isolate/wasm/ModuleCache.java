package io.isolate.wasm;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Global;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.isolate.SizeUnit;
import io.isolate.spi.DaemonThreads;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * interpreted. The cache entry records which and why ({@link LoadedModule#engineNote()}). The system property
 * {@code isolate.wasm.engine=interpreter} skips the compiler altogether, which pays off for one-shot runs in a
 * fresh JVM; {@code isolate.wasm.compilerCacheDir} keeps compiled classes on disk for the next JVM instead
 * ({@link DiskCompilerCache}). The cache holds modules up to {@code isolate.wasm.cacheBytes} bytes of module code
 * in total (default 256 MiB), least recently used first out. Failures (malformed modules) are not cached.
 *
 * <p><b>Loading under a deadline.</b> Neither Chicory's parser nor its compiler looks at the interrupt flag, and
 * a hostile module can keep them busy for minutes (one {@code br_table} of 2,000,000 targets: over 150 s in the
 * compiler; 10,000 imports: 8 s). So the loading never runs on the thread of the run that needs it: it runs on
 * one of a few compiler threads ({@code isolate.wasm.compileThreads}, default half the processors, at least 2),
 * and {@link #load(byte[], String, long)} waits for it only until the caller's deadline. A caller that gives up
 * leaves no lock behind: the cache is only consulted and filled under a short monitor, never held during a load,
 * and a later caller of the same module joins the load still under way, again only until its own deadline. A
 * load that finishes after every one of its callers gave up is dropped, not cached; a load nobody waits for any
 * more is not even begun if it has not started.
 *
 * <p><b>What keeps running, and its bound.</b> An abandoned load runs on to its end on its compiler thread, since
 * nothing can stop it. It is bounded by caps checked cheaply before the expensive step, defaults measured on the
 * reference machine to keep each step within a few seconds:
 * <ul>
 *   <li>{@code isolate.wasm.maxModuleBytes} (64 MiB): larger modules are refused before parsing (parsing and
 *       validating is linear in the size, about 1.5 s for the 2 MB {@code br_table} above);
 *   <li>{@code isolate.wasm.maxImports} (10,000): more imports are refused after parsing, because instantiating
 *       them, which every run does and which cannot be interrupted either, grows faster than linearly (0.6 s for
 *       10,000, about a minute for Chicory's own maximum of 100,000);
 *   <li>{@code isolate.wasm.compileMaxFunctions} (10,000), {@code isolate.wasm.compileMaxImports} (1,000) and
 *       {@code isolate.wasm.compileMaxBrTableTargets} (10,000 in the whole module): a module over any of them is
 *       not compiled but interpreted, which needs no compilation step (the entry's note names the cap).
 * </ul>
 * and by the number of compiler threads: however many hostile modules arrive, at most that many loads run at once
 * and the others wait in a queue (while their callers' deadlines run).
 */
final class ModuleCache {
  /** The PROCESS level's logger: each module load at DEBUG. */
  private static final System.Logger LOG = System.getLogger("io.isolate.process");

  /** The caps that bound a load; see the class comment. */
  record Caps(long maxModuleBytes, int maxImports, int compileMaxFunctions, int compileMaxImports,
      long compileMaxBrTableTargets) {
    static final Caps DEFAULT = of(WasmSettings.DEFAULTS);

    static Caps of(WasmSettings s) {
      return new Caps(s.maxModuleBytes(), s.maxImports(), s.compileMaxFunctions(), s.compileMaxImports(),
          s.compileMaxBrTableTargets());
    }

    Caps withMaxModuleBytes(long bytes) {
      return new Caps(bytes, maxImports, compileMaxFunctions, compileMaxImports, compileMaxBrTableTargets);
    }
  }

  /** A module this provider will not load: too large, too many imports, or features Chicory cannot run. */
  static final class ModuleRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ModuleRefusedException(String message) {
      super(message, null, false, false);
    }
  }

  /** The caller's deadline passed before the module was loaded; the load itself may go on (see the class). */
  static final class LoadTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LoadTimeoutException(String message) {
      super(message, null, false, false);
    }
  }

  private static final AtomicLong THREAD_COUNTER = new AtomicLong();
  /**
   * Shared by every cache of this JVM, so that the bound on concurrent loads holds for the JVM. Daemon threads
   * with the guests' larger stack (Chicory's parser and compiler recurse on nested blocks), gone when idle.
   */
  private static final ThreadPoolExecutor LOADERS;

  /** The settings the JVM's module cache and compiler threads were made with (read when this class loads). */
  static final WasmSettings JVM_SETTINGS = WasmSettings.fromSystemProperties();

  static {
    int threads = JVM_SETTINGS.compileThreads();
    LOADERS = new ThreadPoolExecutor(threads, threads, DaemonThreads.IDLE_SECONDS, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(null, r, "isolate-wasm-compiler-" + THREAD_COUNTER.incrementAndGet(),
          GuestThreads.STACK_BYTES);
      t.setDaemon(true);
      return t;
    });
    LOADERS.allowCoreThreadTimeOut(true);
  }

  private final Cache<String, LoadedModule> cache;
  private final boolean compile;
  private final DiskCompilerCache diskCache;
  private final Caps caps;
  private final Object lock = new Object();
  // guarded by lock: the loads under way, by key
  private final Map<String, Load> inFlight = new HashMap<>();
  private final AtomicLong parses = new AtomicLong();
  private final AtomicLong compilations = new AtomicLong();
  private final AtomicLong abandoned = new AtomicLong();

  ModuleCache(long maxBytes, boolean compile) {
    this(maxBytes, compile, null);
  }

  ModuleCache(long maxBytes, boolean compile, DiskCompilerCache diskCache) {
    this(maxBytes, compile, diskCache, Caps.DEFAULT);
  }

  ModuleCache(long maxBytes, boolean compile, DiskCompilerCache diskCache, Caps caps) {
    this.diskCache = diskCache;
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((String key, LoadedModule m) -> m.sizeBytes())
        .build();
    this.compile = compile;
    this.caps = caps;
  }

  /** The cache every isolate of this JVM shares, configured from system properties. */
  static ModuleCache shared() {
    return Shared.INSTANCE;
  }

  private static final class Shared {
    static final ModuleCache INSTANCE = create(JVM_SETTINGS);

    private static ModuleCache create(WasmSettings s) {
      return new ModuleCache(s.cacheBytes(), s.compiled(),
          DiskCompilerCache.fromSettings(s, WasmProvider.chicoryVersion()), Caps.of(s));
    }
  }

  /** {@link #load(byte[], String, long)} without a deadline, for tests and tools. */
  LoadedModule load(byte[] bytes) {
    try {
      return load(bytes, sha256(bytes), Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading a module", e);
    }
  }

  /**
   * Returns the module with these bytes, parsing and compiling it on first use. Concurrent first uses of the same
   * module share one load.
   *
   * @param key the SHA-256 of {@code bytes} ({@link #sha256(byte[])})
   * @param deadlineNanos when to stop waiting, in {@link System#nanoTime()} terms; {@link Long#MAX_VALUE} for never
   * @throws com.dylibso.chicory.wasm.ChicoryException when the bytes are not a valid module
   * @throws ModuleRefusedException when the module is over a cap or uses what Chicory cannot run
   * @throws LoadTimeoutException when the deadline passed first
   * @throws InterruptedException when the waiting thread was interrupted
   */
  LoadedModule load(byte[] bytes, String key, long deadlineNanos) throws InterruptedException {
    LoadedModule hit = cache.getIfPresent(key);
    if (hit != null) {
      return hit;
    }
    if (bytes.length > caps.maxModuleBytes()) {
      throw new ModuleRefusedException("the module has " + SizeUnit.format(bytes.length) + ", more than "
          + WasmSettings.MAX_MODULE_BYTES + " (" + SizeUnit.format(caps.maxModuleBytes()) + ")");
    }
    Load load;
    synchronized (lock) {
      hit = cache.getIfPresent(key);
      if (hit != null) {
        return hit;
      }
      load = inFlight.get(key);
      if (load == null) {
        load = new Load(key, bytes);
        inFlight.put(key, load);
        LOADERS.execute(load);
      }
      load.waiters++;
    }
    try {
      return deadlineNanos == Long.MAX_VALUE ? load.result.get()
          : load.result.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    } catch (TimeoutException e) {
      throw new LoadTimeoutException("the module was still being loaded (parsed, validated, compiled) at the "
          + "deadline");
    } finally {
      synchronized (lock) {
        load.waiters--;
        if (load.waiters == 0 && !load.started) {
          inFlight.remove(key, load); // nobody wants it any more: it will not begin
        }
      }
    }
  }

  /** One module being loaded on a compiler thread, with the callers waiting for it. */
  private final class Load implements Runnable {
    final String key;
    final byte[] bytes;
    final CompletableFuture<LoadedModule> result = new CompletableFuture<>();
    // guarded by lock
    int waiters;
    boolean started;

    Load(String key, byte[] bytes) {
      this.key = key;
      this.bytes = bytes;
    }

    @Override
    public void run() {
      synchronized (lock) {
        if (waiters == 0) {
          return; // every caller gave up while it was queued
        }
        started = true;
      }
      LoadedModule loaded = null;
      Throwable failure = null;
      long start = System.nanoTime();
      try {
        loaded = loadNow(key, bytes);
        if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
          LOG.log(System.Logger.Level.DEBUG, "module " + key.substring(0, 12) + " (" + bytes.length
              + " bytes) loaded " + loaded.engine() + " in " + (System.nanoTime() - start) / 1_000_000 + " ms: "
              + loaded.engineNote());
        }
      } catch (Throwable t) {
        // Everything (even an OutOfMemoryError of a huge module) goes to the callers, none is cached.
        failure = t;
        LOG.log(System.Logger.Level.DEBUG, "module " + key.substring(0, 12) + " not loaded: " + t);
      }
      synchronized (lock) {
        inFlight.remove(key, this);
        if (loaded != null) {
          if (waiters > 0) {
            cache.put(key, loaded);
          } else {
            abandoned.incrementAndGet(); // nobody waited to the end: dropped, as an abandoned load must be
          }
        }
      }
      if (failure != null) {
        result.completeExceptionally(failure);
      } else {
        result.complete(loaded);
      }
    }
  }

  private LoadedModule loadNow(String key, byte[] bytes) {
    parses.incrementAndGet();
    WasmModule module = Parser.parse(bytes);
    int imports = module.importSection().importCount();
    if (imports > caps.maxImports()) {
      throw new ModuleRefusedException("the module has " + imports + " imports, more than isolate.wasm.maxImports ("
          + caps.maxImports() + "): instantiating them could not be interrupted");
    }
    refuseSimd(module);
    Function<Instance, Machine> interpreter = InterpreterMachine::new;
    if (!compile) {
      return new LoadedModule(key, module, interpreter, LoadedModule.Engine.INTERPRETED,
          "the interpreter was chosen with isolate.wasm.engine", bytes.length);
    }
    String overCap = overCompileCap(module);
    if (overCap != null) {
      return new LoadedModule(key, module, interpreter, LoadedModule.Engine.INTERPRETED,
          "not compiled: " + overCap, bytes.length);
    }
    compilations.incrementAndGet();
    String huge = HugeMethods.warning(key.substring(0, 12), HugeMethods.countHuge(module));
    if (huge != null) {
      // once per JVM at WARNING (printf alone is such a function in every C module that links it), then DEBUG
      LOG.log(HugeMethods.firstWarning() ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, huge);
    }
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

  /**
   * Refuses a module with SIMD instructions (the 0xFD prefix: {@code v128.const}, {@code i32x4.add}, ...) or
   * v128 values in its signatures, locals or globals. Chicory 1.7.5 validates them, but neither its interpreter
   * nor its compiler runs them: the guest would fail in the middle of its run with "Machine doesn't recognize
   * Instruction V128_CONST". Chicory's SIMD machine is a separate artifact that needs Java 21 or later and its
   * incubating Vector API; this project targets Java 17, so such modules are refused before they start.
   */
  private static void refuseSimd(WasmModule module) {
    String unsupported = " (SIMD, the WebAssembly v128 proposal) is not supported at level PROCESS: Chicory "
        + WasmProvider.chicoryVersion() + " runs SIMD only in its separate SIMD interpreter, which needs Java 21 or "
        + "later. Build the module without SIMD (for clang and rustc: no -msimd128 / +simd128)";
    var code = module.codeSection();
    for (int f = 0; f < code.functionBodyCount(); f++) {
      FunctionBody body = code.getFunctionBody(f);
      for (AnnotatedInstruction ins : body.instructions()) {
        int op = ins.opcode().opcode();
        if (op >= 0xFD00 && op <= 0xFDFF) {
          throw new ModuleRefusedException("the module uses the SIMD instruction "
              + ins.opcode().name().toLowerCase(Locale.ROOT).replaceFirst("_", ".") + " (in function "
              + (module.importSection().count(ExternalType.FUNCTION) + f) + ")" + unsupported);
        }
      }
      if (body.localTypes().stream().anyMatch(t -> t.opcode() == ValType.ID.V128)) {
        throw new ModuleRefusedException("the module has a v128 local" + unsupported);
      }
    }
    for (FunctionType type : module.typeSection().types()) {
      if (type.params().stream().anyMatch(t -> t.opcode() == ValType.ID.V128)
          || type.returns().stream().anyMatch(t -> t.opcode() == ValType.ID.V128)) {
        throw new ModuleRefusedException("the module has a function type with v128 values" + unsupported);
      }
    }
    for (Global global : module.globalSection().globals()) {
      if (global.valueType().opcode() == ValType.ID.V128) {
        throw new ModuleRefusedException("the module has a v128 global" + unsupported);
      }
    }
  }

  /** Why compiling this module could take too long, or null: one pass over the parsed code, no compilation. */
  private String overCompileCap(WasmModule module) {
    int functions = module.functionSection().functionCount();
    if (functions > caps.compileMaxFunctions()) {
      return functions + " functions, more than isolate.wasm.compileMaxFunctions (" + caps.compileMaxFunctions()
          + ")";
    }
    int imports = module.importSection().importCount();
    if (imports > caps.compileMaxImports()) {
      return imports + " imports, more than isolate.wasm.compileMaxImports (" + caps.compileMaxImports() + ")";
    }
    long targets = 0;
    var code = module.codeSection();
    for (int i = 0; i < code.functionBodyCount(); i++) {
      FunctionBody body = code.getFunctionBody(i);
      for (AnnotatedInstruction ins : body.instructions()) {
        if (ins.opcode() == OpCode.BR_TABLE) {
          targets += ins.operandCount();
        }
      }
    }
    if (targets > caps.compileMaxBrTableTargets()) {
      return targets + " br_table targets, more than isolate.wasm.compileMaxBrTableTargets ("
          + caps.compileMaxBrTableTargets() + ")";
    }
    return null;
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

  /** How many loads finished after all their callers had given up, and were dropped. */
  long abandoned() {
    return abandoned.get();
  }

  /** How many loads are queued or under way. */
  int inFlight() {
    synchronized (lock) {
      return inFlight.size();
    }
  }

  /** The cached module with this key, or null. */
  LoadedModule cached(String key) {
    return cache.getIfPresent(key);
  }

  /** Drops every cached module. */
  void clear() {
    cache.invalidateAll();
  }

  static String sha256(byte[] bytes) {
    return io.isolate.spi.HostFiles.sha256Hex(bytes);
  }
}
