package io.isolate.wasm;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.isolate.CallException;
import io.isolate.GuestFailureException;
import io.isolate.Input;
import io.isolate.IsolateSpec;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.spi.OutputSink;
import io.isolate.spi.Watchdog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The instance that {@link io.isolate.Isolate#call(String, long...)} and {@link io.isolate.Isolate#call(String,
 * byte[])} talk to (the bytes contract is described in {@link WasmProvider}): created on the first call, kept
 * until the isolate closes, so that guest state (globals, memory) lives across calls. A reactor module's
 * {@code _initialize} runs once, right after instantiation.
 *
 * <p>Calls run on the caller's thread, one at a time (a lock; Wasm instances are not thread-safe), so a call
 * costs no thread hand-off. The wall-time limit applies to each call: the {@link Watchdog} interrupts the caller's
 * thread when it runs out, the call throws {@link GuestFailureException} with {@link Termination#TIMEOUT} and the
 * thread's interrupt flag is cleared again. A call that traps leaves the instance usable, as WebAssembly allows;
 * whatever the trap left half-done in guest memory stays so. The guest's stdout and stderr across all calls share
 * one output budget; stdin is empty unless it was given as bytes or a stream ({@link Input#pipe()} needs a run).
 */
final class LiveInstance implements Watchdog.Guarded {
  private final IsolateSpec spec;
  private final WasmBackend.ModuleSource moduleSource;
  private final int memoryLimitPages;
  private final ReentrantLock lock = new ReentrantLock();
  private final OutputSink stdout;
  private final OutputSink stderr;

  // guarded by lock
  private final Map<String, Exported> exported = new HashMap<>();
  private LoadedModule module;
  private Guest guest;
  /** The guest SDK's side, once the plugin serves; null for a module without the SDK. */
  private Plugin plugin;
  private GuestFailureException instantiationFailure;
  private Watchdog.Guarded registration;

  // Written by the calling thread (holding lock) and read by the watchdog: a call arms the deadline and then
  // publishes its thread with volatile writes, and disarms under this object's monitor, which stop() also holds,
  // so an interrupt can never land after the call has returned. Hence one monitor per call, not three.
  private volatile Thread caller;
  private volatile long deadline = Long.MAX_VALUE;
  private volatile long callCpuStart = -1;
  /** The CPU-time budget per call in ns, or -1 for none. */
  private final long cpuBudgetNanos;
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();
  private volatile boolean closed;
  // guarded by this
  private Termination stopReason;
  private String stopDetail;

  LiveInstance(IsolateSpec spec, WasmBackend.ModuleSource moduleSource, int memoryLimitPages) {
    this.spec = spec;
    this.moduleSource = moduleSource;
    this.memoryLimitPages = memoryLimitPages;
    this.cpuBudgetNanos = spec.limits().cpuTime().map(java.time.Duration::toNanos).orElse(-1L);
    OutputSink.Budget budget = new OutputSink.Budget(spec.limits().outputBytes());
    this.stdout = new OutputSink(spec.stdout(), budget);
    this.stderr = new OutputSink(spec.stderr(), budget);
  }

  long[] call(String name, long[] args) {
    refuseReentry(name);
    lock.lock();
    try {
      if (closed) {
        throw new GuestFailureException(Termination.KILLED, "the isolate was closed");
      }
      Instance instance = instance();
      Exported function = exported(instance, name);
      if (function.params != args.length) {
        throw new CallException("function " + name + " takes " + function.params + " arguments "
            + instance.exportType(name).params() + ", not " + args.length);
      }
      List<ValType> types = instance.exportType(name).params();
      for (int i = 0; i < args.length; i++) {
        // an i32 takes a signed or an unsigned 32-bit value; anything wider would be cut silently
        if (types.get(i).equals(ValType.I32) && (args[i] < Integer.MIN_VALUE || args[i] > 0xFFFF_FFFFL)) {
          throw new CallException("argument " + (i + 1) + " of " + name + " is an i32, and " + args[i]
              + " does not fit in 32 bits");
        }
      }
      ExportFunction f = function.function;
      long[] results = guarded(() -> f.apply(args), name);
      return results == null ? new long[0] : results; // Chicory answers null for a function without results
    } finally {
      lock.unlock();
    }
  }

  /** The allocator a module without the guest SDK exports for {@link #call(String, byte[])} (the raw ABI). */
  static final String ALLOC = "isolate_alloc";

  /**
   * A bytes call. A plugin built with the guest SDK is called through it ({@link Plugin}); any other module
   * through the raw ABI: the input is copied into memory the guest's {@value #ALLOC} gives out, the handler gets
   * {@code (ptr, len)} and answers {@code (replyPtr << 32) | replyLen}; the reply, bounds-checked and at most the
   * output limit long, is copied out. See {@link WasmProvider} for both contracts.
   */
  byte[] call(String name, byte[] input) {
    refuseReentry(name);
    lock.lock();
    try {
      if (closed) {
        throw new GuestFailureException(Termination.KILLED, "the isolate was closed");
      }
      Instance instance = instance();
      if (plugin != null) {
        plugin.checkCall(name, input);
        byte[][] reply = new byte[1][];
        guarded(() -> {
          reply[0] = plugin.call(instance, name, input, spec.limits().outputBytes());
          return null;
        }, name);
        return reply[0];
      }
      return rawCall(instance, name, input);
    } finally {
      lock.unlock();
    }
  }

  /** What {@link io.isolate.Isolate#functions()} lists: the exported functions and a plugin's handlers. */
  java.util.Set<String> functions() {
    lock.lock();
    try {
      if (closed) {
        throw new GuestFailureException(Termination.KILLED, "the isolate was closed");
      }
      instance();
      java.util.Set<String> names = new java.util.TreeSet<>(exportedFunctions());
      if (plugin != null) {
        names.addAll(plugin.handlers());
      }
      return names;
    } finally {
      lock.unlock();
    }
  }

  private byte[] rawCall(Instance instance, String name, byte[] input) {
    if (!hasFunction(ALLOC)) {
      throw new CallException("the module exports no " + ALLOC + "(i32) -> (i32): bytes calls "
          + "need it to place their input in guest memory, or a plugin built with the guest SDK (see WasmProvider)");
    }
    Exported alloc = exported(instance, ALLOC);
    requireType(instance, ALLOC, FunctionType.of(List.of(ValType.I32), List.of(ValType.I32)));
    Exported handler = exported(instance, name);
    requireType(instance, name, FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I64)));
    Memory memory = instance.memory();
    if (memory == null) {
      throw new CallException("the module has no memory: bytes calls need one");
    }
    long[] ptrAndReply = guarded(() -> {
      long ptr = alloc.function.apply(input.length)[0] & 0xffffffffL;
      if (ptr == 0 || ptr + input.length > sizeOf(memory)) {
        throw new HostFunctions.HostFunctionFailure(ALLOC + "(" + input.length + ") returned " + ptr
            + ": no room for the input in guest memory (" + sizeOf(memory) + " bytes)");
      }
      memory.write((int) ptr, input);
      return new long[] {ptr, handler.function.apply(ptr, input.length)[0]};
    }, name);
    long replyPtr = ptrAndReply[1] >>> 32;
    long replyLength = ptrAndReply[1] & 0xffffffffL;
    if (replyPtr + replyLength > sizeOf(memory)) {
      throw new GuestFailureException(Termination.TRAP, "the reply of " + name + " (" + replyLength
          + " bytes at address " + replyPtr + ") lies outside guest memory (" + sizeOf(memory) + " bytes)");
    }
    if (replyLength > spec.limits().outputBytes()) {
      throw new GuestFailureException(Termination.OUTPUT_LIMIT, "the reply of " + name + " (" + replyLength
          + " bytes) is longer than the output limit (" + SizeUnit.format(spec.limits().outputBytes()) + ")");
    }
    return memory.readBytes((int) replyPtr, (int) replyLength);
  }

  /**
   * A host function that calls its own isolate would run guest code inside guest code: the SDK would free the
   * outer call's memory, and the outer call would lose its deadline. One call at a time, as on every other thread.
   */
  private void refuseReentry(String name) {
    if (lock.isHeldByCurrentThread()) {
      throw new CallException("call '" + name + "' came from a host function of the same isolate, during a call: "
          + "an isolate serves one call at a time");
    }
  }

  private static long sizeOf(Memory memory) {
    return (long) memory.pages() * Memory.PAGE_SIZE;
  }

  private static void requireType(Instance instance, String name, FunctionType wanted) {
    FunctionType actual = instance.exportType(name);
    if (!actual.typesMatch(wanted)) {
      throw new CallException("function " + name + " is " + Imports.describe(actual)
          + ", but a bytes call needs " + Imports.describe(wanted));
    }
  }

  private Exported exported(Instance instance, String name) {
    Exported function = exported.get(name);
    if (function == null) {
      function = new Exported(exportedFunction(instance, name), instance.exportType(name).params().size());
      exported.put(name, function);
    }
    return function;
  }

  private List<String> exportedFunctions() {
    var exports = module.module().exportSection();
    List<String> functions = new ArrayList<>();
    for (int i = 0; i < exports.exportCount(); i++) {
      Export e = exports.getExport(i);
      if (e.exportType() == ExternalType.FUNCTION) {
        functions.add(e.name());
      }
    }
    return functions;
  }

  private ExportFunction exportedFunction(Instance instance, String name) {
    var exports = module.module().exportSection();
    List<String> functions = new ArrayList<>();
    for (int i = 0; i < exports.exportCount(); i++) {
      Export e = exports.getExport(i);
      if (e.exportType() == ExternalType.FUNCTION) {
        functions.add(e.name());
        if (e.name().equals(name)) {
          return instance.export(name);
        }
      }
    }
    throw new CallException("the module exports no function '" + name + "'; it exports "
        + (functions.isEmpty() ? "no functions" : String.join(", ", functions)));
  }

  private Instance instance() {
    if (instantiationFailure != null) {
      throw instantiationFailure;
    }
    if (guest != null) {
      return guest.instance();
    }
    if (module == null) {
      module = load();
    }
    InputStream stdin = spec.stdin().kind() == Input.Kind.BYTES
        ? new ByteArrayInputStream(spec.stdin().bytes())
        : spec.stdin().stream().map(WasmRun::notClosing).orElseGet(() -> new ByteArrayInputStream(new byte[0]));
    try {
      guest = Guest.prepare(module, spec, stdin, new SinkStream(stdout, this::outputLimitReached),
          new SinkStream(stderr, this::outputLimitReached));
    } catch (IOException e) {
      instantiationFailure = new GuestFailureException(Termination.FAILED_TO_START, Outcome.messageOf(e));
      throw instantiationFailure;
    }
    try {
      guarded(() -> {
        Instance instance = guest.instantiate(module, spec.hostFunctions(), memoryLimitPages);
        if (instance.exports() != null && hasFunction("_initialize")) {
          instance.export("_initialize").apply();
        }
        if (guest.plugin() != null && Plugin.isPlugin(module.module())) {
          guest.plugin().start(instance); // the plugin's main, up to isolate_serve()
          plugin = guest.plugin();
        }
        return null;
      }, "instantiation");
    } catch (GuestFailureException e) {
      instantiationFailure = e;
      guest.close();
      throw e;
    }
    return guest.instance();
  }

  /**
   * Loads the module under the wall-time limit of the call that needs it. A timeout is not remembered (the next
   * call tries again, joining the load if it goes on); a module that cannot run is.
   */
  private LoadedModule load() {
    WasmBackend.Prepared[] prepared = new WasmBackend.Prepared[1];
    guarded(() -> {
      try {
        prepared[0] = moduleSource.prepare(deadline);
      } catch (InterruptedException e) {
        // our stop (the deadline) or the application's interrupt: guarded tells them apart
        Thread.currentThread().interrupt();
        throw new ChicoryInterruptedException("interrupted while the module was being loaded");
      }
      return null;
    }, "loading the module");
    if (prepared[0].failure != null) {
      instantiationFailure = new GuestFailureException(Termination.FAILED_TO_START, prepared[0].failure);
      throw instantiationFailure;
    }
    return prepared[0].module;
  }

  private boolean hasFunction(String name) {
    var exports = module.module().exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      if (exports.getExport(i).name().equals(name) && exports.getExport(i).exportType() == ExternalType.FUNCTION) {
        return true;
      }
    }
    return false;
  }

  private static final class Exported {
    final ExportFunction function;
    final int params;

    Exported(ExportFunction function, int params) {
      this.function = function;
      this.params = params;
    }
  }

  private interface GuestCode {
    long[] run();
  }

  /** Runs guest code on this thread under the wall-time limit, turning every failure into a GuestFailureException. */
  private long[] guarded(GuestCode code, String what) {
    if (registration == null) {
      registration = Watchdog.get().registerWeakly(this);
    }
    if (cpuBudgetNanos >= 0 && !WasmBackend.threadCpuTimeReadable() && !spec.acceptUnenforcedLimits()) {
      throw new IllegalStateException("the CPU-time limit of a call cannot be measured on this thread (a virtual "
          + "thread's CPU time cannot be read): call from a platform thread");
    }
    deadline = System.nanoTime() + spec.limits().wallTime().toNanos();
    callCpuStart = cpuBudgetNanos < 0 || !THREADS.isCurrentThreadCpuTimeSupported() ? -1
        : THREADS.getCurrentThreadCpuTime();
    caller = Thread.currentThread();
    boolean started = guest != null && guest.instance() != null;
    Outcome failure = null;
    long[] result = null;
    boolean stoppedByUs;
    try {
      result = code.run();
    } catch (Throwable t) {
      if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError) && !(t instanceof OutOfMemoryError)) {
        throw (VirtualMachineError) t;
      }
      failure = Outcome.of(t, guest == null ? null : guest.memory(), started);
    } finally {
      synchronized (this) {
        caller = null;
        deadline = Long.MAX_VALUE;
        stoppedByUs = stopReason != null;
        if (stoppedByUs) {
          failure = new Outcome(stopReason, -1, stopDetail);
          // our interrupt, not the application's: take it back
          Thread.interrupted();
        }
        stopReason = null;
        stopDetail = null;
      }
    }
    if (failure != null) {
      if (failure.termination == Termination.KILLED && !stoppedByUs) {
        // The application interrupted its own thread: keep the flag for it.
        Thread.currentThread().interrupt();
      }
      String detail = failure.termination == Termination.EXITED
          ? "the guest exited with code " + failure.exitCode + " during " + what
          : failure.detail;
      throw new GuestFailureException(failure.termination, detail);
    }
    return result;
  }

  private void outputLimitReached(long limit) {
    stop(Termination.OUTPUT_LIMIT, "the guest wrote more than " + SizeUnit.format(limit)
        + " to stdout and stderr (the output limit)");
  }

  private synchronized void stop(Termination reason, String detail) {
    if (caller == null || stopReason != null) {
      return;
    }
    stopReason = reason;
    stopDetail = detail;
    caller.interrupt();
  }

  @Override
  public long deadlineNanos() {
    return deadline;
  }

  /** The CPU-time budget of a call: the calling thread's CPU time since the call began. */
  @Override
  public void tick() {
    Thread t = caller;
    long start = callCpuStart;
    if (cpuBudgetNanos < 0 || t == null || start < 0) {
      return;
    }
    if (THREADS.getThreadCpuTime(t.getId()) - start > cpuBudgetNanos) {
      synchronized (this) {
        if (caller == t && callCpuStart == start) { // the same call still: none can end or begin meanwhile
          stop(Termination.CPU_LIMIT, "the CPU-time limit of " + spec.limits().cpuTime().orElseThrow()
              + " per call ran out");
        }
      }
    }
  }

  @Override
  public synchronized void expire(long nowNanos) {
    // Checked and acted on under the monitor: the call cannot end, and another begin, in between.
    if (caller == null || stopReason != null || nowNanos - deadline < 0) {
      return;
    }
    deadline = Long.MAX_VALUE;
    stop(Termination.TIMEOUT, "the wall-time limit of " + spec.limits().wallTime() + " per call ran out");
  }

  /** Stops a running call, waits briefly for it to leave, writes back read-write mounts, releases everything. */
  void close() {
    closed = true;
    stop(Termination.KILLED, "the isolate was closed during the call");
    boolean locked = false;
    try {
      locked = lock.tryLock(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (locked && registration != null) {
        Watchdog.get().unregister(registration);
      }
      if (guest != null && locked) {
        guest.writeBack();
        guest.close();
        guest = null;
      }
    } finally {
      if (locked) {
        lock.unlock();
      }
    }
  }
}
