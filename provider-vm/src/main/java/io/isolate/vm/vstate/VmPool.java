package io.isolate.vm.vstate;

import com.sun.jna.LastErrorException;
import io.isolate.spi.DaemonThreads;
import io.isolate.vm.VmSettings;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.kvm.LibC;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Takes VM creation and teardown off the path of a run: a few fresh VMs (file descriptor, guest memory, vCPU) are
 * created ahead of time by a background thread, and released VMs are closed by others. These threads run at nice
 * 10: they use idle CPU, and on a busy host the pool falls behind and callers create (and, beyond eight pending
 * teardowns, destroy) their own VMs, as without a pool.
 *
 * <p>Creating a VM costs 0.3–0.7 ms of CPU on PVM hosts (KVM_CREATE_VM, the memory slot, KVM_CREATE_VCPU),
 * destroying one that ran 0.2 ms to over 1 ms. A pooled VM has never run: its guest memory is a fresh anonymous mapping that no guest has touched
 * (it reads as zero, though the set-up may have prefaulted it), and its vCPU is in its reset state apart from what
 * the set-up did, so taking one from the pool gives exactly what {@link Vm#create}, {@link Vm#createVcpu} and the
 * set-up would. Used VMs are never pooled again. The pool holds VMs of one memory size and set-up, the last one
 * asked for twice in a row (up to 1 GiB), at most {@code -Disolate.vm.pool=2} of them
 * ({@code 0} turns the pool and the background teardown off); their memory is reserved lazily (MAP_NORESERVE), so
 * an idle pooled VM costs two file descriptors (and the eventfds its set-up registered) and a few kernel pages.
 */
public final class VmPool {
  private static final int CAPACITY = VmSettings.fromSystemProperties().pool();
  private static final long MAX_POOLED_SIZE_MIB = 1024;
  /** Teardowns waiting beyond this many are done by the caller, so that a fast loop cannot pile them up. */
  private static final int MAX_PENDING_CLOSES = 8;
  private static final int NICE = 10;

  // Creations and teardowns get threads of their own, so that a backlog of teardowns (a VM that ran takes longer to
  // destroy) does not hold up the next fresh VM.
  private static final long IDLE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(DaemonThreads.IDLE_SECONDS);
  private static final Workers CREATOR = new Workers("isolate-vm-create", 1, IDLE_NANOS);
  private static final Workers REAPER = new Workers("isolate-vm-teardown", 2, IDLE_NANOS);

  /** A kind of pooled VM: its memory size and its set-up. */
  private record Kind(long size, Consumer<Vm> setup) {}

  private record Pooled(Vm vm, Kind kind) {}

  // The background threads run at a lower priority, so they take no lock that callers take (a preempted
  // low-priority thread holding it would stall the caller): only lock-free state is shared with them.
  private static final ConcurrentLinkedQueue<Pooled> ready = new ConcurrentLinkedQueue<>();
  private static final AtomicInteger creating = new AtomicInteger();
  private static final AtomicInteger closing = new AtomicInteger();
  private static volatile Kind pooledKind;
  private static volatile boolean failed;
  // guarded by VmPool.class, taken by callers only
  private static Kind candidateKind;

  private VmPool() {}

  /**
   * Background threads fed through a lock-free queue: a caller handing work over never waits for a lock that a
   * low-priority thread might hold while preempted (as an executor's queue lock could be). Threads are started when
   * work comes and end after {@link DaemonThreads#IDLE_SECONDS} without any, as the providers' executors do, so that no
   * thread of the pool outlives the last use of this level for long.
   */
  static final class Workers {
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final String name;
    private final long idleNanos;
    /** The thread in each slot, null when none runs there. */
    private final AtomicReferenceArray<Thread> slots;

    Workers(String name, int count, long idleNanos) {
      this.name = name;
      this.idleNanos = idleNanos;
      this.slots = new AtomicReferenceArray<>(count);
    }

    void execute(Runnable task) {
      tasks.add(task);
      for (int i = 0; i < slots.length(); i++) {
        Thread t = slots.get(i);
        if (t != null) {
          LockSupport.unpark(t);
          continue;
        }
        int slot = i;
        Thread started = new Thread(() -> work(slot), name);
        started.setDaemon(true);
        if (slots.compareAndSet(i, null, started)) {
          started.start();
        }
      }
    }

    private void work(int slot) {
      lowerPriority();
      long idleSince = System.nanoTime();
      while (true) {
        Runnable task = tasks.poll();
        if (task != null) {
          try {
            task.run();
          } catch (RuntimeException | Error e) {
            // the tasks handle their own failures; a worker never dies of one
          }
          idleSince = System.nanoTime();
          continue;
        }
        if (System.nanoTime() - idleSince >= idleNanos) {
          slots.set(slot, null);
          // work handed over after the last poll, by a caller that still saw this thread, is not left behind
          if (tasks.isEmpty() || !slots.compareAndSet(slot, null, Thread.currentThread())) {
            return;
          }
          idleSince = System.nanoTime();
          continue;
        }
        LockSupport.parkNanos(this, idleNanos);
      }
    }

    /** The threads running now (for tests). */
    int live() {
      int n = 0;
      for (int i = 0; i < slots.length(); i++) {
        n += slots.get(i) != null ? 1 : 0;
      }
      return n;
    }
  }

  /**
   * Makes the calling thread yield to the threads that run guests (nice 10): the pool's work then
   * uses idle CPU, and on a busy host callers simply create and tear down their own VMs, as without a pool.
   */
  private static void lowerPriority() {
    try {
      LibC.setpriority(LibC.PRIO_PROCESS, LibC.gettid(), NICE);
    } catch (LastErrorException | UnsatisfiedLinkError e) {
      // keep the normal priority
    }
  }

  /**
   * A fresh VM of {@code memorySize} bytes with its vCPU (see {@link Vm#vcpu()}), on which {@code setup} has run
   * (program-independent vCPU set-up such as CPUID; the same object for every call that may share pooled VMs):
   * from the pool when it has one, else created now; either way the pool is topped up in the background.
   */
  public static Vm take(KvmDevice kvm, long memorySize, Consumer<Vm> setup) {
    Kind kind = new Kind(memorySize, setup);
    Vm vm = null;
    if (CAPACITY > 0 && memorySize <= (MAX_POOLED_SIZE_MIB << 20)) {
      boolean pooled;
      synchronized (VmPool.class) {
        pooled = kind.equals(pooledKind);
        if (!pooled && kind.equals(candidateKind)) {
          // asked for twice in a row: pool this kind from now on (sizes that alternate do not thrash the pool)
          pooledKind = kind;
          failed = false;
          pooled = true;
        }
        candidateKind = kind;
      }
      if (pooled) {
        for (Pooled p; vm == null && (p = ready.poll()) != null; ) {
          if (p.kind().equals(kind)) {
            vm = p.vm();
          } else {
            closeLater(p.vm()); // of a kind pooled before
          }
        }
        topUp(kvm, kind);
      }
    }
    if (vm != null) {
      return vm;
    }
    vm = create(kvm, memorySize, setup);
    if (failed && kind.equals(pooledKind)) {
      failed = false; // a background creation failed earlier, this one worked: pool again from the next take
    }
    return vm;
  }

  private static void topUp(KvmDevice kvm, Kind kind) {
    while (!failed) {
      int c = creating.get();
      if (ready.size() + c >= CAPACITY) {
        return;
      }
      if (creating.compareAndSet(c, c + 1)) {
        CREATOR.execute(() -> createPooled(kvm, kind));
      }
    }
  }

  private static Vm create(KvmDevice kvm, long size, Consumer<Vm> setup) {
    Vm vm = Vm.create(kvm, size);
    try {
      vm.createVcpu();
      setup.accept(vm);
      return vm;
    } catch (RuntimeException | Error e) {
      vm.close();
      throw e;
    }
  }

  private static void createPooled(KvmDevice kvm, Kind kind) {
    try {
      Vm vm;
      try {
        vm = create(kvm, kind.size(), kind.setup());
      } catch (RuntimeException | Error e) {
        failed = true; // KVM refuses (limits, memory): callers create their own and see the error
        return;
      }
      if (kind.equals(pooledKind) && ready.size() < CAPACITY) {
        ready.add(new Pooled(vm, kind));
        if (!kind.equals(pooledKind) && ready.remove(new Pooled(vm, kind))) {
          vm.close(); // drained or switched meanwhile
        }
      } else {
        vm.close();
      }
    } finally {
      creating.decrementAndGet();
    }
  }

  /**
   * Closes {@code resource} (a used VM or what owns one) on the background thread, or at once when several
   * teardowns are waiting already.
   */
  public static void closeLater(AutoCloseable resource) {
    if (CAPACITY == 0 || closing.incrementAndGet() > MAX_PENDING_CLOSES) {
      if (CAPACITY > 0) {
        closing.decrementAndGet();
      }
      closeQuietly(resource);
      return;
    }
    REAPER.execute(() -> {
      try {
        closeQuietly(resource);
      } finally {
        closing.decrementAndGet();
      }
    });
  }

  private static void closeQuietly(AutoCloseable r) {
    try {
      r.close();
    } catch (Exception e) {
      // a teardown that fails leaves nothing to retry; Vm.close() itself does not throw for closed descriptors
    }
  }

  /**
   * Closes the pooled VMs and waits until no creation or teardown is pending: afterwards every VM that is not in
   * use has released its file descriptors and mappings (for leak checks and a clean shutdown).
   */
  public static void drain() {
    synchronized (VmPool.class) {
      pooledKind = null; // VMs being created now are closed when they are done
      candidateKind = null;
    }
    boolean interrupted = false;
    do {
      for (Pooled p; (p = ready.poll()) != null; ) {
        p.vm().close();
      }
      if (creating.get() > 0 || closing.get() > 0) {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } while (creating.get() > 0 || closing.get() > 0 || !ready.isEmpty());
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
