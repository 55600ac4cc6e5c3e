package io.isolate.pv.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

/**
 * Test fixture: a virtio-mmio driver written in Java that brings up a device through its {@link MmioTransport}
 * the way the guest SDK does (virtio 1.2, 3.1.1), asserting each step was accepted.
 */
public final class GuestDriver {
  public final MmioTransport transport;
  public final QueueMemory memory;
  public final GuestAllocator allocator;
  private final List<DriverQueue> queues = new ArrayList<>();

  public GuestDriver(MmioTransport transport, QueueMemory memory, GuestAllocator allocator) {
    this.transport = transport;
    this.memory = memory;
    this.allocator = allocator;
  }

  public void write(int offset, long value) {
    WriteResult r = transport.write(offset, 4, value);
    assertTrue(r.accepted(), () -> "write 0x" + Long.toHexString(value) + " at 0x" + Integer.toHexString(offset)
        + ": " + r);
  }

  public long read(int offset) {
    return transport.read(offset, 4);
  }

  /** Negotiates {@code features} and sets up {@code sizes.length} queues, then sets DRIVER_OK. */
  public GuestDriver start(long features, int... sizes) {
    assertEquals(MmioTransport.MAGIC, read(MmioTransport.MAGIC_VALUE));
    assertEquals(2, read(MmioTransport.VERSION_REG));
    write(MmioTransport.STATUS, 0);
    write(MmioTransport.STATUS, MmioTransport.STATUS_ACKNOWLEDGE);
    write(MmioTransport.STATUS, MmioTransport.STATUS_ACKNOWLEDGE | MmioTransport.STATUS_DRIVER);
    write(MmioTransport.DRIVER_FEATURES_SEL, 0);
    write(MmioTransport.DRIVER_FEATURES, features & 0xffff_ffffL);
    write(MmioTransport.DRIVER_FEATURES_SEL, 1);
    write(MmioTransport.DRIVER_FEATURES, features >>> 32);
    write(MmioTransport.STATUS, 0xb);
    assertEquals(0xb, read(MmioTransport.STATUS), "FEATURES_OK kept");
    for (int i = 0; i < sizes.length; i++) {
      write(MmioTransport.QUEUE_SEL, i);
      assertTrue(read(MmioTransport.QUEUE_NUM_MAX) >= sizes[i]);
      DriverQueue q = new DriverQueue(memory, allocator, sizes[i]);
      write(MmioTransport.QUEUE_NUM, sizes[i]);
      write(MmioTransport.QUEUE_DESC_LOW, q.desc & 0xffff_ffffL);
      write(MmioTransport.QUEUE_DESC_HIGH, q.desc >>> 32);
      write(MmioTransport.QUEUE_DRIVER_LOW, q.avail & 0xffff_ffffL);
      write(MmioTransport.QUEUE_DRIVER_HIGH, q.avail >>> 32);
      write(MmioTransport.QUEUE_DEVICE_LOW, q.used & 0xffff_ffffL);
      write(MmioTransport.QUEUE_DEVICE_HIGH, q.used >>> 32);
      write(MmioTransport.QUEUE_READY, 1);
      queues.add(q);
    }
    write(MmioTransport.STATUS, 0xf);
    return this;
  }

  public DriverQueue queue(int index) {
    return queues.get(index);
  }

  public void kick(int index) {
    write(MmioTransport.QUEUE_NOTIFY, index);
  }

  /** Reads and acknowledges the interrupt status. */
  public int takeInterrupts() {
    int status = (int) read(MmioTransport.INTERRUPT_STATUS);
    if (status != 0) {
      write(MmioTransport.INTERRUPT_ACK, status);
    }
    return status;
  }
}
