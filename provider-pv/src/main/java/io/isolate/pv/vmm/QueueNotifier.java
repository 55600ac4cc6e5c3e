package io.isolate.pv.vmm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.isolate.pv.virtio.MmioTransport;
import io.isolate.vm.kvm.Errno;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.kvm.LibC;
import io.isolate.vm.vstate.Vm;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Serves the QueueNotify writes that KVM turns into eventfd signals (KVM_IOEVENTFD): the guest's write completes in
 * the host kernel (about 7 µs on a PVM host, against about 20 µs for an exit to the VMM) and the guest runs on,
 * while this loop, on a host thread of its own, hands the notification to the transport exactly as an exit would
 * ({@link MmioTransport#write}, which validates it), so there is still one place where notifications are checked.
 *
 * <p>Only the queues whose device asks for it ({@code VirtioDevice.notifiesThroughEventfd}) are registered, each
 * with its index as the data to match: a write of any other value to QueueNotify still exits and is served (and
 * rejected, if need be) by the vCPU thread.
 *
 * <p>A notification can overtake the guest's register writes that the kernel buffered (coalesced MMIO): a driver
 * that sets DRIVER_OK and at once notifies a queue. While a device is not live yet, this loop therefore does not
 * serve its notifications but defers them to the vCPU thread, which it kicks out of the guest: the vCPU thread
 * applies the buffered writes first, then {@link #replayDeferred()}.
 */
final class QueueNotifier implements Runnable {
  private record Binding(int eventfd, MmioTransport transport, int queue) {}

  private final List<Binding> bindings;
  private final int stopFd;
  private final Memory pollFds;
  private final Memory counter = new Memory(8);
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile long served;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicBoolean stopFdClosed = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Binding> deferred = new ConcurrentLinkedQueue<>();
  private final Runnable kickVcpu;

  private QueueNotifier(List<Binding> bindings, int stopFd, Runnable kickVcpu) {
    this.bindings = bindings;
    this.stopFd = stopFd;
    this.kickVcpu = kickVcpu;
    this.pollFds = new Memory(8L * (bindings.size() + 1));
    pollFds.clear();
    pollFds.setInt(0, stopFd);
    pollFds.setShort(4, LibC.POLLIN);
    for (int i = 0; i < bindings.size(); i++) {
      pollFds.setInt(8L * (i + 1), bindings.get(i).eventfd());
      pollFds.setShort(8L * (i + 1) + 4, LibC.POLLIN);
    }
  }

  /**
   * Registers an ioeventfd for each queue of each slot whose device wants one; null when there is none to register
   * or the host has no ioeventfd (the notifications then exit, as they may always).
   *
   * @param kickVcpu makes the vCPU thread leave the guest soon (to replay deferred notifications)
   * @throws KvmException when the loop's own eventfd cannot be made (the registered ones would swallow the guest's
   *     notifications with nobody to serve them)
   */
  static QueueNotifier register(Vm vm, List<MmioTransport> slots, Runnable kickVcpu) {
    List<Binding> bindings = new ArrayList<>();
    for (int slot = 0; slot < slots.size(); slot++) {
      MmioTransport t = slots.get(slot);
      for (int q = 0; q < t.queueCount(); q++) {
        if (t.device().notifiesThroughEventfd(q)) {
          int efd = vm.mmioEventfd(PvMachine.notifyAddress(slot), q);
          if (efd < 0) {
            return null;
          }
          bindings.add(new Binding(efd, t, q));
        }
      }
    }
    if (bindings.isEmpty()) {
      return null;
    }
    int stop;
    try {
      stop = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
    } catch (LastErrorException e) {
      throw new KvmException("eventfd (queue notifications)", e.getErrorCode());
    }
    return new QueueNotifier(List.copyOf(bindings), stop, kickVcpu);
  }

  /** Serves the notifications deferred until the buffered register writes were applied; vCPU thread only. */
  void replayDeferred() {
    for (Binding b; (b = deferred.poll()) != null; ) {
      b.transport().write(MmioTransport.QUEUE_NOTIFY, 4, b.queue());
    }
  }

  boolean hasDeferred() {
    return !deferred.isEmpty();
  }

  /** Notifications served so far. */
  long served() {
    return served;
  }

  @Override
  public void run() {
    try {
      int n = bindings.size() + 1;
      while (true) {
        try {
          LibC.poll(pollFds, n, -1);
        } catch (LastErrorException e) {
          if (e.getErrorCode() == Errno.EINTR) {
            continue;
          }
          return; // cannot happen with valid descriptors (and the eventfds outlive this loop)
        }
        if ((pollFds.getShort(6) & LibC.POLLIN) != 0) {
          return;
        }
        for (int i = 0; i < bindings.size(); i++) {
          if ((pollFds.getShort(8L * (i + 1) + 6) & LibC.POLLIN) == 0) {
            continue;
          }
          Binding b = bindings.get(i);
          try {
            LibC.read(b.eventfd(), counter, 8); // resets the count: one pass serves any number of writes
          } catch (LastErrorException e) {
            continue; // EAGAIN: another reader took it
          }
          served++;
          if (b.transport().isDriverOk()) {
            b.transport().write(MmioTransport.QUEUE_NOTIFY, 4, b.queue());
          } else {
            deferred.add(b);
            kickVcpu.run();
          }
        }
      }
    } finally {
      ended.countDown();
    }
  }

  /**
   * Stops the loop and waits for it (a notification being served finishes first), then closes the stop eventfd.
   * Idempotent. Returns false when the loop did not end within 5 s (a device stuck in a host stream): the caller
   * must then leave the VM mapped, since the loop may still reach guest memory.
   */
  boolean close() {
    if (closing.compareAndSet(false, true)) {
      Memory one = new Memory(8);
      one.setLong(0, 1);
      try {
        LibC.write(stopFd, one, 8);
      } catch (LastErrorException e) {
        // a fresh eventfd written once cannot overflow
      }
    }
    try {
      if (!ended.await(5, TimeUnit.SECONDS)) {
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    if (stopFdClosed.compareAndSet(false, true)) {
      LibC.close(stopFd);
    }
    return true;
  }
}
