package io.isolate.pv;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.GuestFailureException;
import io.isolate.HostFunction;
import io.isolate.IsolateSpec;
import io.isolate.Mount;
import io.isolate.Termination;
import io.isolate.pv.devices.BlockDevice;
import io.isolate.pv.devices.CallChannel;
import io.isolate.pv.devices.CallFailedException;
import io.isolate.pv.devices.CallFrame;
import io.isolate.pv.devices.ConsoleDevice;
import io.isolate.pv.devices.DiskImage;
import io.isolate.pv.devices.RngDevice;
import io.isolate.pv.virtio.VirtioDevice;
import io.isolate.pv.vmm.PvExit;
import io.isolate.pv.vmm.PvMachine;
import io.isolate.spi.DaemonThreads;
import io.isolate.spi.GuestSdk;
import io.isolate.spi.RunSupervisor;
import io.isolate.spi.SystemProperties;
import io.isolate.vm.elf.ElfException;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.kvm.KvmException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * One run of a PARAVIRT guest: its devices and its {@link PvMachine}, under a {@link RunSupervisor} that holds a run
 * to its limits and completes the result when the guest ends. A live guest serving calls is held to its limits per
 * call instead ({@link #call}).
 */
final class PvExecution implements RunSupervisor.Guest {
  static final int MAX_CALL_PAYLOAD = 16 << 20;
  private static final SecureRandom ENTROPY = new SecureRandom();
  private static final ScheduledExecutorService TIMERS = DaemonThreads.scheduler("isolate-pv-timer");
  private static final ExecutorService HOST_FUNCTIONS = DaemonThreads.cached("isolate-pv-host-function");

  private final IsolateSpec spec;
  private final RunSupervisor supervisor;
  private CallChannel calls;
  /** The disks of this run, closed when it ends (a scratch disk's space is released then). */
  private final List<DiskImage> disks = new java.util.concurrent.CopyOnWriteArrayList<>();
  private ConsoleDevice console;
  private volatile PvMachine machine;

  private PvExecution(IsolateSpec spec) {
    this.spec = spec;
    this.supervisor = new RunSupervisor(spec, null);
  }

  /**
   * Boots the guest on the calling thread (so that set-up failures are reported at once) and lets it run.
   *
   * @param runDeadline true to stop the run at the wall-time limit (a run); false for a live isolate serving calls,
   *     where the limit applies to each call instead
   */
  static PvExecution start(IsolateSpec spec, boolean runDeadline) {
    PvExecution e = new PvExecution(spec);
    try {
      e.boot();
    } catch (ElfException | KvmException | IllegalArgumentException ex) {
      e.closeDisks();
      e.supervisor.finish(RunSupervisor.Ending.of(Termination.FAILED_TO_START, -1, ex.getMessage()));
      return e;
    } catch (RuntimeException ex) {
      e.closeDisks();
      e.supervisor.finish(RunSupervisor.Ending.of(Termination.FAILED_TO_START, -1, "the VMM failed to start: " + ex));
      return e;
    }
    if (runDeadline) {
      e.supervisor.arm();
    }
    return e;
  }

  /** What the application sees of this run. */
  Execution execution() {
    return supervisor;
  }

  boolean isAlive() {
    return supervisor.isAlive();
  }

  CompletableFuture<ExitResult> onExit() {
    return supervisor.onExit();
  }

  /**
   * With a CPU-time limit, stops the guest with CPU_LIMIT once its vCPU thread has used more than the budget past
   * {@code fromNanos} of its CPU time (the value when a call began); null without a limit. A call's budget counts
   * all the guest's CPU time while the call is outstanding, other calls' work included (calls share the one vCPU),
   * and ending the guest fails every call in flight.
   */
  private ScheduledFuture<?> watchCpuTime(long fromNanos) {
    long budget = spec.limits().cpuTime().map(Duration::toNanos).orElse(-1L);
    if (budget < 0) {
      return null;
    }
    long period = RunSupervisor.cpuCheckPeriodMillis(budget / 1_000_000);
    return TIMERS.scheduleAtFixedRate(() -> {
      long used = cpuTimeNanos();
      if (used >= 0 && used - fromNanos > budget) {
        supervisor.stop(Termination.CPU_LIMIT);
      }
    }, period, period, TimeUnit.MILLISECONDS);
  }

  private void boot() {
    Map<String, UnaryOperator<byte[]>> hostFunctions = new HashMap<>();
    for (HostFunction f : spec.hostFunctions()) {
      hostFunctions.put(f.name(), f.bytesImplementation());
    }
    hostFunctions.put(GuestSdk.CONFIG, GuestSdk.configFunction(spec.config()));
    hostFunctions.put(GuestSdk.SERVE, this::serving);
    calls = new CallChannel(MAX_CALL_PAYLOAD, hostFunctions, HOST_FUNCTIONS, this::log);
    console = ConsoleDevice.builder()
        .stdout(supervisor.stdout()::write)
        .namedPort(CallFrame.PORT_NAME, calls)
        .callPolling(spec.settings(PvSettings.class).orElseGet(PvSettings::fromSystemProperties).callPolling())
        .errors(this::log)
        .build();
    RngDevice rng = new RngDevice(ENTROPY, 64 << 10, this::log);
    List<VirtioDevice> devices = new ArrayList<>(List.of(console, rng));
    for (Mount mount : spec.mounts()) {
      devices.add(new BlockDevice(openDisk(mount), mount.guestPath(), this::log));
    }
    supervisor.feedStdin(consoleStdin());
    PvMachine m = PvMachine.start(KvmDevice.get(), spec.workload().content(), spec.limits().memoryBytes(),
        spec.workload().args(), devices, this::log);
    machine = m;
    // the guest runs from start(): a limit it hit before `machine` was set reaches it now
    supervisor.attach(this);
    m.exit().whenComplete((pvExit, failure) -> finish(pvExit != null ? pvExit
        : new PvExit(PvExit.Kind.FAULT, -1, "VMM failure: " + failure)));
  }

  /** The disk behind a mount (PvBackend admitted only these kinds); kept to be closed when the run ends. */
  private DiskImage openDisk(Mount mount) {
    DiskImage image;
    try {
      image = switch (mount.kind()) {
        case IMAGE -> DiskImage.readOnlyFile(mount.hostPath().orElseThrow());
        case FILE -> DiskImage.bytes(mount.content());
        case TMPFS -> DiskImage.scratch(SystemProperties.tmpdir(), mount.sizeBytes());
        default -> throw new IllegalArgumentException("mount " + mount + " cannot be a disk");
      };
    } catch (IOException e) {
      throw new IllegalArgumentException("disk " + mount.guestPath() + ": " + e.getMessage(), e);
    }
    disks.add(image);
    return image;
  }

  private void closeDisks() {
    for (DiskImage d : disks) {
      try {
        d.close();
      } catch (IOException e) {
        log("disk: " + e.getMessage());
      }
    }
    disks.clear();
  }

  /** The console's stdin as a stream; closing it changes nothing (the console has no end of input). */
  private OutputStream consoleStdin() {
    return new OutputStream() {
      @Override
      public void write(int b) {
        console.stdin().send(new byte[] {(byte) b});
      }

      @Override
      public void write(byte[] b, int off, int len) {
        console.stdin().send(Arrays.copyOfRange(b, off, off + len));
      }
    };
  }

  /**
   * Guest LOG lines and device protocol errors go to the isolate's stderr, one line each, within the output budget
   * stdout shares. A line that does not fit ends the run with OUTPUT_LIMIT, as stdout does: without that, a guest
   * flooding LOG hypercalls (each an exit the vCPU thread serves) would run to its deadline, its lines dropped.
   */
  private void log(String line) {
    byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
    supervisor.stderr().write(b, 0, b.length);
  }

  @Override
  public void stop(Termination reason) {
    PvMachine m = machine;
    if (m != null) {
      m.stop();
    }
  }

  /** The vCPU thread's CPU time in this run, or -1. */
  @Override
  public long cpuTimeNanos() {
    PvMachine m = machine;
    return m == null ? -1 : m.cpuTimeNanos();
  }

  private void finish(PvExit e) {
    Termination t = switch (e.kind()) {
      case EXITED -> Termination.EXITED;
      case FAULT -> Termination.FAULT;
      case KILLED -> Termination.KILLED;
    };
    long cpu = cpuTimeNanos();
    RunSupervisor.Ending ending = RunSupervisor.Ending.of(t, t == Termination.EXITED ? e.code() : -1, e.message())
        .cpuTime(cpu < 0 ? null : Duration.ofNanos(cpu));
    // Disks are served only in the vCPU's exits, and its loop has ended: close them before the result, so that a
    // run that returned holds no host file open.
    closeDisks();
    // the result before failing the calls (here or through the device reset in close()): a caller whose call
    // fails looks at it to say why
    ExitResult result = supervisor.finish(ending);
    calls.fail("the guest ended (" + result.termination() + ": " + result.detail() + ")");
    machine.close(); // on the vCPU thread after its loop: resets the devices, releases the VM in the background
  }

  /** The handler names the guest announced when it began to serve ({@link GuestSdk#SERVE}). */
  private final CompletableFuture<java.util.Set<String>> handlers = new CompletableFuture<>();

  private byte[] serving(byte[] announced) {
    try {
      handlers.complete(java.util.Set.copyOf(GuestSdk.handlerNames(announced)));
    } catch (IllegalArgumentException e) {
      handlers.completeExceptionally(new GuestFailureException(Termination.TRAP, e.getMessage()));
    }
    return new byte[0];
  }

  /** The handlers the guest serves, once it serves: waits for its announcement within the wall-time limit. */
  java.util.Set<String> functions() {
    Duration limit = spec.limits().wallTime();
    try {
      CompletableFuture.anyOf(handlers, supervisor.onExit()).get(limit.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new GuestFailureException(Termination.TIMEOUT, "the guest did not begin to serve within " + limit);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GuestFailureException(Termination.KILLED, "interrupted while waiting for the guest to serve");
    } catch (ExecutionException e) {
      // told apart below
    }
    if (handlers.isDone()) {
      try {
        return handlers.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw (GuestFailureException) e.getCause();
      }
    }
    ExitResult r = supervisor.onExit().join();
    throw new GuestFailureException(r.termination(), "the guest ended before it served calls: " + r.detail());
  }

  /** Calls a guest handler, bounded by the wall-time limit. */
  byte[] call(String function, byte[] input) {
    ExitResult ended = supervisor.onExit().getNow(null);
    if (ended != null) {
      throw new GuestFailureException(ended.termination(), "the guest is not running: " + ended.detail());
    }
    if (input.length > MAX_CALL_PAYLOAD) {
      throw new io.isolate.CallException("call input of " + input.length + " bytes exceeds the limit of "
          + MAX_CALL_PAYLOAD);
    }
    Duration limit = spec.limits().wallTime();
    // a busy guest answers within microseconds: take its reply from the ring here, without an exit or a wake-up
    ScheduledFuture<?> callBudget = null;
    CompletableFuture<byte[]> reply = null;
    try {
      if (spec.limits().cpuTime().isPresent()) {
        // the guest's CPU time when the call began (0 before its vCPU thread has started): the budget counts from it
        PvMachine m = machine;
        callBudget = watchCpuTime(m == null ? 0 : Math.max(0, m.cpuTimeNanos()));
      }
      reply = console.pollTransmit(calls, () -> calls.call(function, input));
      byte[] answer = reply.get(limit.toNanos(), TimeUnit.NANOSECONDS);
      if (callBudget != null) {
        callBudget.cancel(false); // at once: the answer is in, the budget must not end the guest after it
      }
      return answer;
    } catch (TimeoutException e) {
      reply.cancel(false); // not null: only get() times out
      throw new GuestFailureException(Termination.TIMEOUT, "call '" + function + "' got no reply within " + limit);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GuestFailureException(Termination.KILLED, "interrupted while waiting for call '" + function + "'");
    } catch (ExecutionException e) {
      ExitResult r = supervisor.onExit().getNow(null);
      if (r != null) {
        throw new GuestFailureException(r.termination(), "call '" + function + "': the guest ended: " + r.detail());
      }
      CallFailedException f = (CallFailedException) e.getCause();
      if (f.status() == CallFrame.NO_SUCH_FUNCTION) {
        java.util.Set<String> served = handlers.isCompletedExceptionally() ? null : handlers.getNow(null);
        throw new io.isolate.CallException("the guest has no handler '" + function + "'"
            + (served == null ? "" : "; it serves " + String.join(", ", new java.util.TreeSet<>(served))));
      }
      throw new GuestFailureException(Termination.TRAP, "call '" + function + "': " + f.getMessage());
    } finally {
      if (callBudget != null) {
        callBudget.cancel(false);
      }
    }
  }

  /** Kills the run and waits until its VM is released. */
  void killAndRelease() {
    supervisor.kill();
    supervisor.onExit().join();
    PvMachine m = machine;
    if (m != null) {
      m.close();
    }
  }
}
