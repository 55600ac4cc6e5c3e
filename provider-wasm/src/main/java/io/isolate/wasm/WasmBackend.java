package io.isolate.wasm;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.ExternalType;
import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.GuestFailureException;
import io.isolate.InvalidSpecException;
import io.isolate.IsolateSpec;
import io.isolate.StartFailedException;
import io.isolate.Termination;
import io.isolate.spi.IsolateBackend;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * One PROCESS isolate: a module from the {@link ModuleCache}, run as a WASI command by {@link #start()} (a fresh
 * instance per run, one run at a time) or called by {@link #call(String, long...)} and
 * {@link #call(String, byte[])} (one {@link LiveInstance} for the isolate's life). Runs and calls use separate
 * instances, so they do not share guest state; each copies the mounts for itself.
 *
 * <p><b>Loading.</b> The module is parsed, validated and compiled by the first run or call that needs it, and that
 * counts against the run's (or call's) wall-time limit: a load still under way at the deadline ends the run with
 * {@link Termination#TIMEOUT} (the call with a {@link GuestFailureException} of it), and the next run or call
 * tries again. See {@link ModuleCache} for what keeps running after such a deadline and how it is bounded.
 *
 * <p><b>Bad modules.</b> A module that does not parse, or that imports something the host does not provide, does
 * not make {@code build()} throw: the isolate is built, and every run ends with
 * {@link Termination#FAILED_TO_START} and the reason (every call throws {@link GuestFailureException} with it).
 * The API reports failures to start in the result, so that runs, events and the command line's {@code --json}
 * treat them like every other ending. {@code build()} throws only for specs this level cannot honour
 * ({@link InvalidSpecException}) and for a module file that cannot be read ({@link StartFailedException}).
 */
final class WasmBackend implements IsolateBackend {
  private final IsolateSpec spec;
  private final ModuleCache cache;
  private final byte[] bytes;
  private final String key;
  private final int memoryLimitPages;
  /** The module once loaded, or why it cannot run: the same for every run and call, so worked out once. */
  private volatile Prepared prepared;
  private final Object lock = new Object();
  private Execution current;
  // volatile: calls read them without the lock once the live instance exists
  private volatile LiveInstance live;
  private volatile boolean closed;

  private WasmBackend(IsolateSpec spec, ModuleCache cache, byte[] bytes) {
    this.spec = spec;
    this.cache = cache;
    this.bytes = bytes;
    this.key = ModuleCache.sha256(bytes);
    this.memoryLimitPages = (int) Math.min(Memory.RUNTIME_MAX_PAGES, spec.limits().memoryBytes() / Memory.PAGE_SIZE);
  }

  /**
   * Checks the spec and reads the module's bytes; the module is loaded (parsed, validated, compiled) by the first
   * run or call, under that run's or call's wall-time limit, not here: a hostile module must not hold
   * {@code build()} for as long as Chicory's compiler takes (see {@link ModuleCache}).
   */
  static WasmBackend create(IsolateSpec spec, ModuleCache cache) {
    checkSpec(spec);
    byte[] bytes;
    try {
      bytes = spec.workload().content();
    } catch (UncheckedIOException e) {
      throw new StartFailedException("cannot read the module: " + e.getMessage(), e);
    }
    return new WasmBackend(spec, cache, bytes);
  }

  /** What a run or call needs before the guest starts: the loaded module, or why it cannot run (not both). */
  static final class Prepared {
    final LoadedModule module;
    final String failure;

    Prepared(LoadedModule module, String failure) {
      this.module = module;
      this.failure = failure;
    }
  }

  /** How runs and calls get their module: {@link #prepare(long)}. */
  interface ModuleSource {
    Prepared prepare(long deadlineNanos) throws InterruptedException;
  }

  /**
   * The module, loaded through the cache if this isolate has not loaded it yet, waiting at most until the
   * deadline.
   *
   * @throws ModuleCache.LoadTimeoutException when the deadline passed first (nothing is remembered: a later run
   *     tries again, joining the load if it still goes on)
   * @throws InterruptedException when the waiting thread was interrupted (a stop of the run or call)
   */
  Prepared prepare(long deadlineNanos) throws InterruptedException {
    Prepared p = prepared;
    if (p != null) {
      return p;
    }
    LoadedModule module;
    try {
      module = cache.load(bytes, key, deadlineNanos);
    } catch (ModuleCache.ModuleRefusedException e) {
      p = new Prepared(null, "cannot run " + spec.workload().name() + ": " + e.getMessage());
      prepared = p;
      return p;
    } catch (ModuleCache.LoadTimeoutException e) {
      throw e;
    } catch (RuntimeException e) {
      p = new Prepared(null, "not a valid WebAssembly module (" + spec.workload().name() + ", "
          + bytes.length + " bytes): " + Outcome.messageOf(e));
      prepared = p;
      return p;
    }
    List<String> missing = Imports.missing(module.module(), spec.hostFunctions());
    p = new Prepared(module, missing.isEmpty() ? null : String.join("; ", missing));
    prepared = p;
    return p;
  }

  /**
   * Loads the module and checks its imports now, within the wall-time limit, for {@link WasmSettings#linkAtBuild()}.
   *
   * @throws StartFailedException saying what is missing, or why the module cannot be loaded
   */
  void linkNow() {
    Prepared p;
    try {
      p = prepare(System.nanoTime() + spec.limits().wallTime().toNanos());
    } catch (ModuleCache.LoadTimeoutException e) {
      throw new StartFailedException("loading " + spec.workload().name() + " took longer than the wall-time limit "
          + "of " + spec.limits().wallTime());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartFailedException("interrupted while loading " + spec.workload().name());
    }
    if (p.failure != null) {
      throw new StartFailedException(p.failure);
    }
  }

  private static void checkSpec(IsolateSpec spec) {
    if (spec.limits().cpus() < 1.0 && !spec.acceptUnenforcedLimits()) {
      throw new InvalidSpecException("cpus (" + spec.limits().cpus() + ") below 1 cannot be enforced at level "
          + "PROCESS: a guest runs on one thread and uses up to one CPU. Use cpus(1) or "
          + "acceptUnenforcedLimits(true)");
    }
    if (spec.limits().cpuTime().isPresent() && !spec.acceptUnenforcedLimits()
        && !java.lang.management.ManagementFactory.getThreadMXBean().isThreadCpuTimeSupported()) {
      throw new InvalidSpecException("cpuTime cannot be enforced at level PROCESS on this JVM (no thread CPU time); "
          + "accept unenforced limits to run anyway");
    }
    if (!spec.workingDir().equals("/")) {
      throw new InvalidSpecException("workingDir (" + spec.workingDir() + ") is not supported at level PROCESS: "
          + "WASI guests start in '/' and resolve relative paths against their preopened directories");
    }
  }

  /**
   * Runs on the caller's thread when stdin cannot block (none or bytes), saving the hand-off to a guest thread
   * that {@link #start()} needs; otherwise it is {@code start().await()}.
   */
  @Override
  public ExitResult run() {
    Input.Kind stdin = spec.stdin().kind();
    if (stdin != Input.Kind.NONE && stdin != Input.Kind.BYTES) {
      return start().await();
    }
    if (spec.limits().cpuTime().isPresent() && !threadCpuTimeReadable()) {
      return start().await(); // a virtual thread's CPU time cannot be read: run where the budget can be measured
    }
    WasmRun run;
    synchronized (lock) {
      Execution early = refuseOrFail();
      if (early != null) {
        return early.await();
      }
      run = new WasmRun(spec, this::prepare, memoryLimitPages);
      current = run.execution();
    }
    return run.runOnCallerThread();
  }

  /** Throws when no run may start now; returns a failed execution when the module cannot run; else null. */
  private Execution refuseOrFail() {
    if (closed) {
      throw new IllegalStateException("the isolate is closed");
    }
    if (current != null && current.isAlive()) {
      throw new IllegalStateException("the workload is still running; wait for it or kill it first");
    }
    Prepared p = prepared;
    if (p != null && startFailure(p) != null) {
      return WasmRun.failedToStart(startFailure(p)); // known already: no run, no thread
    }
    return null;
  }

  /** Why a run of this module cannot start, or null. */
  static String startFailure(Prepared p) {
    if (p.failure != null) {
      return p.failure;
    }
    if (!exportsFunction(p.module, "_start")) {
      return "the module has no _start export: it is not a WASI command. Call its exported functions with "
          + "Isolate.call";
    }
    return null;
  }

  /** Whether this thread's CPU time can be read (not on a virtual thread, nor on a JVM without the feature). */
  static boolean threadCpuTimeReadable() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    return threads.isCurrentThreadCpuTimeSupported() && threads.getCurrentThreadCpuTime() >= 0;
  }

  @Override
  public Execution start() {
    synchronized (lock) {
      Execution early = refuseOrFail();
      if (early != null) {
        return early;
      }
      WasmRun run = new WasmRun(spec, this::prepare, memoryLimitPages);
      run.launch();
      current = run.execution();
      return current;
    }
  }

  private static boolean exportsFunction(LoadedModule module, String name) {
    var exports = module.module().exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      if (exports.getExport(i).name().equals(name) && exports.getExport(i).exportType() == ExternalType.FUNCTION) {
        return true;
      }
    }
    return false;
  }

  @Override
  public long[] call(String function, long... args) {
    return liveInstance().call(function, args);
  }

  @Override
  public byte[] call(String function, byte[] input) {
    return liveInstance().call(function, input);
  }

  @Override
  public java.util.Set<String> functions() {
    return liveInstance().functions();
  }

  /** {@link LiveInstance#close()} waits for the call in progress; a later call fails there. */
  @Override
  public boolean closeAwaitsCalls() {
    return true;
  }

  private LiveInstance liveInstance() {
    LiveInstance instance = live;
    if (instance != null && !closed) {
      return instance;
    }
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the isolate is closed");
      }
      Prepared p = prepared;
      if (p != null && p.failure != null) {
        throw new GuestFailureException(Termination.FAILED_TO_START, p.failure);
      }
      if (live == null) {
        live = new LiveInstance(spec, this::prepare, memoryLimitPages);
      }
      return live;
    }
  }

  /** The cached module this isolate runs, loaded now if need be (tests and benchmarks look at it). */
  LoadedModule module() {
    try {
      return prepare(Long.MAX_VALUE).module;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading the module", e);
    }
  }

  @Override
  public void close() {
    Execution run;
    LiveInstance instance;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      run = current;
      instance = live;
    }
    if (run != null && run.isAlive()) {
      run.kill();
      try {
        // Let the run end before close returns, so the application finds no write of the guest still under way.
        run.onExit().get(WasmRun.GRACE_MILLIS * 4, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
      }
    }
    if (instance != null) {
      instance.close();
    }
  }
}
