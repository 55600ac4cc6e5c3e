package io.isolate.pv.devices;

import static io.isolate.pv.virtio.DriverQueue.Buf.in;
import static io.isolate.pv.virtio.DriverQueue.Buf.out;

import io.isolate.pv.virtio.DriverQueue;
import io.isolate.pv.virtio.GuestAllocator;
import io.isolate.pv.virtio.GuestDriver;
import io.isolate.pv.virtio.MmioTransport;
import io.isolate.pv.virtio.QueueMemory;
import io.isolate.pv.virtio.VirtioDevice;
import io.isolate.pv.virtio.VirtioFeatures;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test fixture: a guest written in Java that drives a virtio device through its MMIO transport, the way the C
 * SDK's drivers do: receive buffers posted in advance, transmit chains built from scratch memory, and the console
 * multiport control handshake.
 */
final class ConsoleGuest {
  static final long FEATURES = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC
      | VirtioFeatures.RING_EVENT_IDX | ConsoleDevice.F_MULTIPORT;

  final QueueMemory memory;
  final MmioTransport transport;
  final GuestDriver driver;
  final List<String> errors = new CopyOnWriteArrayList<>();
  final AtomicInteger interrupts = new AtomicInteger();
  private final Map<Integer, Map<Integer, Long>> posted = new HashMap<>();

  ConsoleGuest(VirtioDevice device, int memoryBytes) {
    memory = QueueMemory.wrap(ByteBuffer.allocateDirect(memoryBytes));
    transport = new MmioTransport(device, memory, interrupts::incrementAndGet, errors::add);
    driver = new GuestDriver(transport, memory, new GuestAllocator(0x1000, memoryBytes));
  }

  ConsoleGuest start(long features, int queues) {
    return start(features, queues, 64);
  }

  ConsoleGuest start(long features, int queues, int queueSize) {
    int[] sizes = new int[queues];
    java.util.Arrays.fill(sizes, queueSize);
    driver.start(features, sizes);
    return this;
  }

  DriverQueue queue(int index) {
    return driver.queue(index);
  }

  /** Posts {@code count} device-writable buffers of {@code size} bytes on {@code queue}. */
  void postReceive(int queue, int count, int size) {
    for (int i = 0; i < count; i++) {
      long addr = driver.allocator.alloc(size, 8);
      int head = queue(queue).add(List.of(out(addr, size)));
      posted.computeIfAbsent(queue, k -> new HashMap<>()).put(head, addr);
      sizes.put(addr, size);
    }
    driver.kick(queue);
  }

  /** Takes what the device wrote into receive buffers of {@code queue}, re-posting each buffer. */
  List<byte[]> receive(int queue) {
    List<byte[]> got = new ArrayList<>();
    Map<Integer, Long> mine = posted.get(queue);
    List<Long> repost = new ArrayList<>();
    for (DriverQueue.Used u : queue(queue).drainUsed()) {
      long addr = mine.remove(u.id());
      byte[] data = new byte[u.length()];
      memory.read(addr, data, 0, data.length);
      got.add(data);
      repost.add(addr);
    }
    // re-post only after draining: a freed descriptor index may still name a later used entry
    for (long addr : repost) {
      mine.put(queue(queue).add(List.of(out(addr, sizes.get(addr)))), addr);
    }
    if (!got.isEmpty()) {
      driver.kick(queue);
    }
    return got;
  }

  private final Map<Long, Integer> sizes = new HashMap<>();

  /** Receives everything on {@code queue} as one byte string. */
  byte[] receiveAll(int queue) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] b : receive(queue)) {
      out.writeBytes(b);
    }
    return out.toByteArray();
  }

  /** Sends {@code data} on transmit {@code queue} as one chain of {@code segment}-byte buffers. */
  void transmit(int queue, byte[] data, int segment, boolean indirect) {
    List<DriverQueue.Buf> bufs = new ArrayList<>();
    for (int at = 0; at < data.length; at += segment) {
      int n = Math.min(segment, data.length - at);
      long addr = driver.allocator.alloc(n, 8);
      memory.write(addr, data, at, n);
      bufs.add(in(addr, n));
    }
    if (indirect) {
      queue(queue).addIndirect(bufs);
    } else {
      queue(queue).add(bufs);
    }
    driver.kick(queue);
    queue(queue).drainUsed();
  }

  void control(long id, int event, int value) {
    byte[] m = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt((int) id).putShort((short) event)
        .putShort((short) value).array();
    transmit(ConsoleDevice.CONTROL_TX, m, 8, false);
  }

  /** Decoded control messages the device sent. */
  List<ControlMessage> controlMessages() {
    List<ControlMessage> out = new ArrayList<>();
    for (byte[] b : receive(ConsoleDevice.CONTROL_RX)) {
      ControlMessage m = ControlMessage.decode(b);
      byte[] extra = java.util.Arrays.copyOfRange(b, 8, b.length);
      out.add(new ControlMessage(m.id(), m.event(), m.value(), extra));
    }
    return out;
  }

  /** The multiport handshake of the SDK driver; returns the control messages the device sent. */
  List<ControlMessage> handshake() {
    postReceive(ConsoleDevice.CONTROL_RX, 16, 512);
    control(0, ControlMessage.DEVICE_READY, 1);
    List<ControlMessage> all = new ArrayList<>(controlMessages());
    for (ControlMessage m : List.copyOf(all)) {
      if (m.event() == ControlMessage.DEVICE_ADD) {
        control(m.id(), ControlMessage.PORT_READY, 1);
      }
    }
    all.addAll(controlMessages());
    return all;
  }
}
