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
import java.util.concurrent.locks.ReentrantLock;

/**
 * The instance that {@link io.isolate.Isolate#call(String, long...)} and {@link io.isolate.Isolate#call(String,
 * byte[])} talk to (the bytes contract is described in {@link WasmProvider}): created on the first call, kept
 * until the isolate closes, so that guest state (globals, memory) lives across calls. A reactor module's
 * {@code _initialize} runs once, right after instantiation.
 *
 * <p>Calls run on the caller's thread, one at a time (a lock; Wasm instances are not thread-safe), so a call
 * costs no thread hand-off. The wall-time limit applies to each call: the {@link Watchdog} interrupts the caller's
 * thread when it runs out (between the limit and the limit plus 10 ms; a call reads no clock), the call throws {@link GuestFailureException} with {@link Termination#TIMEOUT} and the
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

  // A call's state, the one field the calling thread and the stoppers (watchdog, output sink, close) meet on. The
  // caller writes caller, callGeneration and callCpuStart plainly and publishes them with state = RUNNING; it ends
  // with one CAS RUNNING -> IDLE. A stopper first wins RUNNING -> STOPPING (the call can then neither end nor another
  // begin), re-checks its reason against the pinned call, interrupts, and sets STOPPED; a call that finds its CAS
  // lost waits for STOPPED and takes the interrupt back, so that none ever lands after the call returned. One
  // fence to begin and one CAS to end: a call into a live instance is mostly this.
  private static final int IDLE = 0;
  private static final int RUNNING = 1;
  private static final int STOPPING = 2;
  private static final int STOPPED = 3;
  private final java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
  private Thread caller;
  private long callGeneration;
  private long callCpuStart = -1;
  // The wall-time clock of a call starts when the watchdog first sees it running (within one check period, 5 ms, of
  // its start), so that a call reads no clock: System.nanoTime() alone would cost as much as the rest of a call on
  // some virtual machines. A call is then stopped between its limit and its limit plus two check periods. Both
  // fields belong to the watchdog thread.
  private long seenGeneration = -1;
  private long seenAtNanos;
  private final long wallNanos;
  /** The CPU-time budget per call in ns, or -1 for none. */
  private final long cpuBudgetNanos;
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();
  private volatile boolean closed;
  // written by the stopper that won RUNNING -> STOPPING, read by the caller after STOPPED
  private Termination stopReason;
  private String stopDetail;

  LiveInstance(IsolateSpec spec, WasmBackend.ModuleSource moduleSource, int memoryLimitPages) {
    this.spec = spec;
    this.moduleSource = moduleSource;
    this.memoryLimitPages = memoryLimitPages;
    this.cpuBudgetNanos = spec.limits().cpuTime().map(java.time.Duration::toNanos).orElse(-1L);
    this.wallNanos = spec.limits().wallTime().toNanos();
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
      for (int i = 0; i < args.length; i++) {
        // an i32 takes a signed or an unsigned 32-bit value; anything wider would be cut silently
        if (function.i32[i] && (args[i] < Integer.MIN_VALUE || args[i] > 0xFFFF_FFFFL)) {
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
      function = new Exported(exportedFunction(instance, name), instance.exportType(name).params());
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
    List<String> functions = exportedFunctions();
    if (functions.contains(name)) {
      return instance.export(name);
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
        prepared[0] = moduleSource.prepare(System.nanoTime() + wallNanos);
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
    return exportedFunctions().contains(name);
  }


  /** An export as calls use it, looked up and typed once. */
  private static final class Exported {
    final ExportFunction function;
    final int params;
    /** Which parameters are i32s, whose arguments must fit in 32 bits. */
    final boolean[] i32;

    Exported(ExportFunction function, List<ValType> types) {
      this.function = function;
      this.params = types.size();
      this.i32 = new boolean[params];
      for (int i = 0; i < params; i++) {
        i32[i] = types.get(i).equals(ValType.I32);
      }
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
    callGeneration++;
    callCpuStart = cpuBudgetNanos < 0 || !THREADS.isCurrentThreadCpuTimeSupported() ? -1
        : THREADS.getCurrentThreadCpuTime();
    caller = Thread.currentThread();
    state.setRelease(RUNNING); // publishes the fields above; the end-of-call CAS is the fence

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
      stoppedByUs = !state.compareAndSet(RUNNING, IDLE) && awaitStopped();
      if (stoppedByUs) {
        failure = new Outcome(stopReason, -1, stopDetail);
        stopReason = null;
        stopDetail = null;
        state.set(IDLE);
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

  /**
   * After a lost end-of-call CAS: waits until the stopper that pinned this call has interrupted it, takes the
   * interrupt back (it was ours, not the application's), and says whether the call was stopped. A stopper that
   * found it had pinned the wrong moment sets RUNNING again, and the call ends normally.
   */
  private boolean awaitStopped() {
    while (true) {
      int s = state.get();
      if (s == STOPPED) {
        Thread.interrupted();
        return true;
      }
      if (s == RUNNING && state.compareAndSet(RUNNING, IDLE)) {
        return false;
      }
      Thread.onSpinWait();
    }
  }

  /** Stops the running call, if one runs; the first reason wins. */
  private void stop(Termination reason, String detail) {
    if (state.compareAndSet(RUNNING, STOPPING)) {
      interrupt(reason, detail);
    }
  }

  /** Having won RUNNING -> STOPPING: records the reason and interrupts the pinned call. */
  private void interrupt(Termination reason, String detail) {
    stopReason = reason;
    stopDetail = detail;
    caller.interrupt();
    state.set(STOPPED);
  }

  @Override
  public long deadlineNanos() {
    return state.get() == RUNNING && callGeneration == seenGeneration ? seenAtNanos + wallNanos : Long.MAX_VALUE;
  }

  /** Starts the wall-time clock of a call the watchdog sees for the first time; the CPU-time budget of a call. */
  @Override
  public void tick() {
    if (state.get() != RUNNING) {
      return;
    }
    if (callGeneration != seenGeneration) {
      seenGeneration = callGeneration;
      seenAtNanos = System.nanoTime();
    }
    Thread t = caller;
    long start = callCpuStart;
    if (cpuBudgetNanos < 0 || t == null || start < 0
        || THREADS.getThreadCpuTime(t.getId()) - start <= cpuBudgetNanos) {
      return;
    }
    if (state.compareAndSet(RUNNING, STOPPING)) {
      if (caller == t && callCpuStart == start) { // the call measured, not one that began since
        interrupt(Termination.CPU_LIMIT, "the CPU-time limit of " + spec.limits().cpuTime().orElseThrow()
            + " per call ran out");
      } else {
        state.set(RUNNING);
      }
    }
  }

  @Override
  public void expire(long nowNanos) {
    if (state.get() != RUNNING || callGeneration != seenGeneration || nowNanos - (seenAtNanos + wallNanos) < 0) {
      return;
    }
    if (state.compareAndSet(RUNNING, STOPPING)) {
      if (callGeneration == seenGeneration) { // the call pinned is the one past its deadline, not one that began since
        interrupt(Termination.TIMEOUT, "the wall-time limit of " + spec.limits().wallTime() + " per call ran out");
      } else {
        state.set(RUNNING);
      }
    }
  }

  /**
   * Stops a running call, waits for it to leave (the stop interrupts it within microseconds; a host function that
   * ignores interrupts is waited for, as the application's own code), writes back read-write mounts and releases
   * everything. A call that comes after this fails with KILLED: close needs no count of calls above it.
   */
  void close() {
    closed = true;
    stop(Termination.KILLED, "the isolate was closed during the call");
    lock.lock();
    try {
      if (registration != null) {
        Watchdog.get().unregister(registration);
      }
      if (guest != null) {
        guest.close();
        guest = null;
      }
    } finally {
      lock.unlock();
    }
  }
}
