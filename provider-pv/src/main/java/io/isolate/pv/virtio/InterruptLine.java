package io.isolate.pv.virtio;

/**
 * How a transport tells the guest that its interrupt status changed. The VMM implements it with KVM_IRQFD or
 * KVM_IRQ_LINE, or, for polling guests that wait with the WAIT_FOR_EVENT hypercall, by waking the vCPU thread.
 * Called from any thread, possibly with a device lock held: it must not block.
 */
@FunctionalInterface
public interface InterruptLine {
  void trigger();

  /** A line that goes nowhere. */
  InterruptLine NONE = () -> {};
}
