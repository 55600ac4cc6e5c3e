package io.isolate.pv.virtio;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The virtio-mmio transport, version 2 ("modern", virtio 1.2 section 4.2.2), as a state machine that validates every
 * guest access. One instance serves one device in a {@link #WINDOW_SIZE}-byte MMIO window.
 *
 * <p>A write that breaks the protocol (wrong width, read-only register, a status bit out of order, feature bits
 * the device does not offer, queue changes while the queue is live, a bad queue layout...) is rejected: it changes
 * nothing, is counted, and its reason goes to the error listener. Nothing a guest writes makes this class throw.
 *
 * <pre>{@code
 * MmioTransport t = new MmioTransport(device, memory, line, reason -> log.warn(reason));
 * long magic = t.read(0x000, 4);           // 0x74726976
 * WriteResult r = t.write(0x070, 4, 1);    // ACKNOWLEDGE
 * }</pre>
 *
 * <p>Thread-safe: register accesses (vCPU thread), ioeventfd notifications (a notifier thread) and interrupt
 * raising (device threads) may happen concurrently.
 */
public final class MmioTransport {
  /** The size of one device's MMIO window. */
  public static final int WINDOW_SIZE = 0x1000;
  public static final int MAGIC = 0x74726976;
  public static final int VERSION = 2;
  /** The vendor ID reported to the guest: the bytes "Is". */
  public static final int VENDOR_ID = 0x7349;

  static final int INT_USED_BUFFER = 1;
  static final int INT_CONFIG_CHANGE = 2;

  public static final int STATUS_ACKNOWLEDGE = 1;
  public static final int STATUS_DRIVER = 2;
  public static final int STATUS_DRIVER_OK = 4;
  public static final int STATUS_FEATURES_OK = 8;
  public static final int STATUS_DEVICE_NEEDS_RESET = 64;
  public static final int STATUS_FAILED = 128;

  // register offsets, virtio 1.2 table 4.1
  public static final int MAGIC_VALUE = 0x000;
  public static final int VERSION_REG = 0x004;
  public static final int DEVICE_ID = 0x008;
  public static final int VENDOR_ID_REG = 0x00c;
  public static final int DEVICE_FEATURES = 0x010;
  public static final int DEVICE_FEATURES_SEL = 0x014;
  public static final int DRIVER_FEATURES = 0x020;
  public static final int DRIVER_FEATURES_SEL = 0x024;
  public static final int QUEUE_SEL = 0x030;
  public static final int QUEUE_NUM_MAX = 0x034;
  public static final int QUEUE_NUM = 0x038;
  public static final int QUEUE_READY = 0x044;
  public static final int QUEUE_NOTIFY = 0x050;
  public static final int INTERRUPT_STATUS = 0x060;
  public static final int INTERRUPT_ACK = 0x064;
  public static final int STATUS = 0x070;
  public static final int QUEUE_DESC_LOW = 0x080;
  public static final int QUEUE_DESC_HIGH = 0x084;
  public static final int QUEUE_DRIVER_LOW = 0x090;
  public static final int QUEUE_DRIVER_HIGH = 0x094;
  public static final int QUEUE_DEVICE_LOW = 0x0a0;
  public static final int QUEUE_DEVICE_HIGH = 0x0a4;
  public static final int SHM_SEL = 0x0ac;
  public static final int SHM_LEN_LOW = 0x0b0;
  public static final int SHM_LEN_HIGH = 0x0b4;
  public static final int SHM_BASE_LOW = 0x0b8;
  public static final int SHM_BASE_HIGH = 0x0bc;
  public static final int CONFIG_GENERATION = 0x0fc;
  public static final int CONFIG = 0x100;

  private final VirtioDevice device;
  private final QueueMemory memory;
  private final InterruptLine line;
  private final Consumer<String> errors;
  private final long offeredFeatures;
  private final List<Virtqueue> queues = new ArrayList<>();
  private final AtomicInteger interruptStatus = new AtomicInteger();
  private final AtomicLong rejectedWrites = new AtomicLong();
  // generation of the current activation; bumped by every reset so stale DeviceContexts go quiet
  private final AtomicInteger generation = new AtomicInteger();
  private volatile String needsResetReason;

  private int status;
  private int deviceFeaturesSel;
  private int driverFeaturesSel;
  private long driverFeatures;
  private int queueSel;
  private final AtomicInteger configGeneration = new AtomicInteger();

  /**
   * @param device the device behind this window
   * @param memory the guest memory the device may use, where the queues live (rings and buffers outside its usable
   *     range are refused)
   * @param line how to interrupt the guest
   * @param errors receives one line per rejected access or guest protocol error (may be null)
   */
  public MmioTransport(VirtioDevice device, QueueMemory memory, InterruptLine line, Consumer<String> errors) {
    this.device = Objects.requireNonNull(device, "device");
    this.memory = Objects.requireNonNull(memory, "memory");
    this.line = Objects.requireNonNull(line, "line");
    this.errors = errors == null ? s -> {} : errors;
    this.offeredFeatures = device.deviceFeatures();
    if (!VirtioFeatures.has(offeredFeatures, VirtioFeatures.VERSION_1)) {
      throw new IllegalArgumentException("device type " + device.deviceType() + " must offer VIRTIO_F_VERSION_1");
    }
    QueueLimits limits = device instanceof QueueLimitsProvider p ? p.queueLimits() : QueueLimits.DEFAULT;
    for (int max : device.queueMaxSizes()) {
      queues.add(new Virtqueue(max, limits));
    }
  }

  /** Devices that want other than {@link QueueLimits#DEFAULT} for their queues implement this too. */
  public interface QueueLimitsProvider {
    QueueLimits queueLimits();
  }

  public VirtioDevice device() {
    return device;
  }

  /** Whether the driver has set DRIVER_OK and the device does not need a reset: notifications are served. */
  public synchronized boolean isDriverOk() {
    return (status & STATUS_DRIVER_OK) != 0 && needsResetReason == null;
  }

  /** How many queues the device has. */
  public int queueCount() {
    return queues.size();
  }

  /** The device status register as the guest would read it. */
  public synchronized int status() {
    return status | (needsResetReason != null ? STATUS_DEVICE_NEEDS_RESET : 0);
  }

  /** Why the device needs a reset, or null. */
  public String needsResetReason() {
    return needsResetReason;
  }

  /** How many guest writes were rejected since creation. */
  public long rejectedWrites() {
    return rejectedWrites.get();
  }

  public int interruptStatus() {
    return interruptStatus.get();
  }

  /**
   * Acknowledges all pending interrupts on the guest's behalf and returns what was pending: the WAIT_FOR_EVENT
   * hypercall does this so that a polling guest needs no InterruptStatus/InterruptACK exits.
   */
  public int acknowledgeInterrupts() {
    return interruptStatus.getAndSet(0);
  }

  /**
   * Reads {@code size} bytes at {@code offset} of the window. Registers take 4-byte aligned 4-byte reads; config
   * space takes 1, 2, 4 or 8 bytes. Anything else, or an offset without a register, reads as 0.
   */
  public synchronized long read(long offset, int size) {
    if (offset >= CONFIG) {
      return readConfig(offset - CONFIG, size);
    }
    if (size != 4 || offset % 4 != 0 || offset < 0) {
      error("read of " + size + " bytes at register offset 0x" + Long.toHexString(offset)
          + " (registers take aligned 4-byte reads)");
      return 0;
    }
    switch ((int) offset) {
      case MAGIC_VALUE: return MAGIC;
      case VERSION_REG: return VERSION;
      case DEVICE_ID: return device.deviceType();
      case VENDOR_ID_REG: return VENDOR_ID;
      case DEVICE_FEATURES:
        return deviceFeaturesSel > 1 ? 0 : (offeredFeatures >>> (32 * deviceFeaturesSel)) & 0xffff_ffffL;
      case QUEUE_NUM_MAX: return selectedQueue() == null ? 0 : selectedQueue().maxSize();
      case QUEUE_READY: return selectedQueue() != null && selectedQueue().isReady() ? 1 : 0;
      case INTERRUPT_STATUS: return interruptStatus.get();
      case STATUS: return status();
      case SHM_LEN_LOW: case SHM_LEN_HIGH: case SHM_BASE_LOW: case SHM_BASE_HIGH:
        return 0xffff_ffffL; // no shared memory regions
      case CONFIG_GENERATION: return configGeneration.get();
      default:
        error("read of write-only or unknown register at offset 0x" + Long.toHexString(offset));
        return 0;
    }
  }

  private long readConfig(long offset, int size) {
    if (!(size == 1 || size == 2 || size == 4 || size == 8) || offset + size > device.configSize()) {
      error("config read of " + size + " bytes at config offset " + offset + " outside the "
          + device.configSize() + "-byte config space");
      return 0;
    }
    byte[] data = new byte[size];
    device.readConfig((int) offset, data);
    long v = 0;
    for (int i = size - 1; i >= 0; i--) {
      v = (v << 8) | (data[i] & 0xff);
    }
    return v;
  }

  /** Writes the low {@code size} bytes of {@code value} at {@code offset} of the window. Never throws. */
  public synchronized WriteResult write(long offset, int size, long value) {
    WriteResult r;
    try {
      r = offset >= CONFIG ? writeConfig(offset - CONFIG, size, value) : writeRegister(offset, size, value);
    } catch (RuntimeException e) {
      // a device bug must not let the guest crash the VMM thread; the device is unusable now
      deviceNeedsReset(generation.get(), "device failed on a write at 0x" + Long.toHexString(offset) + ": " + e);
      r = WriteResult.rejected("device failed: " + e);
    }
    if (!r.accepted()) {
      rejectedWrites.incrementAndGet();
      error(r.reason());
    }
    return r;
  }

  private WriteResult writeConfig(long offset, int size, long value) {
    if (!(size == 1 || size == 2 || size == 4 || size == 8) || offset + size > device.configSize()) {
      return WriteResult.rejected("config write of " + size + " bytes at config offset " + offset
          + " outside the " + device.configSize() + "-byte config space");
    }
    byte[] data = new byte[size];
    for (int i = 0; i < size; i++) {
      data[i] = (byte) (value >>> (8 * i));
    }
    String bad = device.writeConfig((int) offset, data);
    return bad == null ? WriteResult.ACCEPTED : WriteResult.rejected(bad);
  }

  private WriteResult writeRegister(long offset, int size, long value) {
    if (size != 4 || offset % 4 != 0 || offset < 0) {
      return WriteResult.rejected("write of " + size + " bytes at register offset 0x" + Long.toHexString(offset)
          + " (registers take aligned 4-byte writes)");
    }
    long v = value & 0xffff_ffffL;
    switch ((int) offset) {
      case MAGIC_VALUE: case VERSION_REG: case DEVICE_ID: case VENDOR_ID_REG: case DEVICE_FEATURES:
      case QUEUE_NUM_MAX: case INTERRUPT_STATUS: case CONFIG_GENERATION:
      case SHM_LEN_LOW: case SHM_LEN_HIGH: case SHM_BASE_LOW: case SHM_BASE_HIGH:
        return WriteResult.rejected("register at offset 0x" + Long.toHexString(offset) + " is read-only");
      case DEVICE_FEATURES_SEL:
        if (v > 1) {
          return WriteResult.rejected("device features select " + v + " must be 0 or 1");
        }
        deviceFeaturesSel = (int) v;
        return WriteResult.ACCEPTED;
      case DRIVER_FEATURES_SEL:
        if (v > 1) {
          return WriteResult.rejected("driver features select " + v + " must be 0 or 1");
        }
        driverFeaturesSel = (int) v;
        return WriteResult.ACCEPTED;
      case DRIVER_FEATURES:
        return writeDriverFeatures(v);
      case QUEUE_SEL:
        if (v >= queues.size()) {
          return WriteResult.rejected("queue select " + v + " must be below the queue count " + queues.size());
        }
        queueSel = (int) v;
        return WriteResult.ACCEPTED;
      case QUEUE_NUM: case QUEUE_DESC_LOW: case QUEUE_DESC_HIGH: case QUEUE_DRIVER_LOW: case QUEUE_DRIVER_HIGH:
      case QUEUE_DEVICE_LOW: case QUEUE_DEVICE_HIGH:
        return writeQueueConfig((int) offset, v);
      case QUEUE_READY:
        return writeQueueReady(v);
      case QUEUE_NOTIFY:
        return notifyQueue(v);
      case INTERRUPT_ACK:
        if (v == 0 || (v & ~(long) (INT_USED_BUFFER | INT_CONFIG_CHANGE)) != 0) {
          return WriteResult.rejected("interrupt ack 0x" + Long.toHexString(v) + " must be a non-empty subset of 0x3");
        }
        interruptStatus.getAndUpdate(s -> s & ~(int) v);
        return WriteResult.ACCEPTED;
      case STATUS:
        return writeStatus(v);
      case SHM_SEL:
        return WriteResult.ACCEPTED; // no regions: every selection reads length -1
      default:
        return WriteResult.rejected("no register at offset 0x" + Long.toHexString(offset));
    }
  }

  private WriteResult writeDriverFeatures(long v) {
    if ((status & STATUS_DRIVER) == 0 || (status & STATUS_FEATURES_OK) != 0) {
      return WriteResult.rejected("driver features written in status 0x" + Integer.toHexString(status)
          + " (allowed after DRIVER and before FEATURES_OK)");
    }
    long shifted = v << (32 * driverFeaturesSel);
    long unknown = shifted & ~offeredFeatures;
    if (unknown != 0) {
      return WriteResult.rejected("driver features 0x" + Long.toHexString(shifted) + " include bits 0x"
          + Long.toHexString(unknown) + " the device does not offer (0x" + Long.toHexString(offeredFeatures) + ")");
    }
    long mask = 0xffff_ffffL << (32 * driverFeaturesSel);
    driverFeatures = (driverFeatures & ~mask) | shifted;
    return WriteResult.ACCEPTED;
  }

  private Virtqueue selectedQueue() {
    return queueSel < queues.size() ? queues.get(queueSel) : null;
  }

  private WriteResult writeQueueConfig(int offset, long v) {
    if ((status & STATUS_FEATURES_OK) == 0 || (status & STATUS_FAILED) != 0) {
      return WriteResult.rejected("queue configuration written in status 0x" + Integer.toHexString(status)
          + " (allowed after FEATURES_OK)");
    }
    Virtqueue q = selectedQueue();
    if (q.isReady()) {
      return WriteResult.rejected("queue " + queueSel + " configuration written while the queue is ready");
    }
    switch (offset) {
      case QUEUE_NUM: {
        String bad = q.checkSize(v);
        if (bad != null) {
          return WriteResult.rejected("queue " + queueSel + ": " + bad);
        }
        q.setSize((int) v);
        return WriteResult.ACCEPTED;
      }
      case QUEUE_DESC_LOW: q.setDescTable(low(q.descTable(), v)); break;
      case QUEUE_DESC_HIGH: q.setDescTable(high(q.descTable(), v)); break;
      case QUEUE_DRIVER_LOW: q.setAvailRing(low(q.availRing(), v)); break;
      case QUEUE_DRIVER_HIGH: q.setAvailRing(high(q.availRing(), v)); break;
      case QUEUE_DEVICE_LOW: q.setUsedRing(low(q.usedRing(), v)); break;
      case QUEUE_DEVICE_HIGH: q.setUsedRing(high(q.usedRing(), v)); break;
      default: throw new AssertionError(offset);
    }
    return WriteResult.ACCEPTED;
  }

  private static long low(long old, long v) {
    return (old & 0xffff_ffff_0000_0000L) | v;
  }

  private static long high(long old, long v) {
    return (old & 0xffff_ffffL) | (v << 32);
  }

  private WriteResult writeQueueReady(long v) {
    Virtqueue q = selectedQueue();
    if (v == 0) {
      if (q.isReady() && (status & STATUS_DRIVER_OK) != 0) {
        return WriteResult.rejected("queue " + queueSel + " cannot be disabled while the device runs (reset first)");
      }
      q.deactivate();
      return WriteResult.ACCEPTED;
    }
    if (v != 1) {
      return WriteResult.rejected("queue ready value " + v + " must be 0 or 1");
    }
    if ((status & STATUS_FEATURES_OK) == 0 || (status & (STATUS_DRIVER_OK | STATUS_FAILED)) != 0) {
      return WriteResult.rejected("queue " + queueSel + " made ready in status 0x" + Integer.toHexString(status)
          + " (allowed after FEATURES_OK and before DRIVER_OK)");
    }
    if (q.isReady()) {
      return WriteResult.ACCEPTED;
    }
    String bad = q.activate(memory, driverFeatures);
    return bad == null ? WriteResult.ACCEPTED : WriteResult.rejected("queue " + queueSel + ": " + bad);
  }

  /**
   * The guest notified queue {@code index}: a write to QueueNotify, or an ioeventfd registered on it firing. The
   * VMM calls this directly for ioeventfd notifications; it validates like a register write.
   */
  public synchronized WriteResult notifyQueue(long index) {
    WriteResult r;
    try {
      r = doNotify(index);
    } catch (RuntimeException e) {
      deviceNeedsReset(generation.get(), "device failed on notify of queue " + index + ": " + e);
      r = WriteResult.rejected("device failed: " + e);
    }
    if (!r.accepted()) {
      rejectedWrites.incrementAndGet();
      error(r.reason());
    }
    return r;
  }

  private WriteResult doNotify(long index) {
    if ((status & STATUS_DRIVER_OK) == 0) {
      return WriteResult.rejected("queue notify " + index + " before DRIVER_OK (status 0x"
          + Integer.toHexString(status) + ")");
    }
    if (needsResetReason != null) {
      return WriteResult.rejected("queue notify " + index + " ignored: device needs reset (" + needsResetReason + ")");
    }
    if (index < 0 || index >= queues.size()) {
      return WriteResult.rejected("queue notify " + index + " names no queue (the device has " + queues.size() + ")");
    }
    if (!queues.get((int) index).isReady()) {
      return WriteResult.rejected("queue notify " + index + " names a queue that is not ready");
    }
    device.queueNotify((int) index);
    return WriteResult.ACCEPTED;
  }

  private WriteResult writeStatus(long v) {
    if (v == 0) {
      reset();
      return WriteResult.ACCEPTED;
    }
    int known = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK | STATUS_FEATURES_OK | STATUS_FAILED;
    if ((v & ~(long) known) != 0) {
      return WriteResult.rejected("status 0x" + Long.toHexString(v) + " sets bits 0x"
          + Long.toHexString(v & ~(long) known) + " a driver may not set");
    }
    int next = (int) v;
    if ((next & status) != status) {
      return WriteResult.rejected("status 0x" + Integer.toHexString(next) + " clears bits of 0x"
          + Integer.toHexString(status) + " (only a write of 0 resets)");
    }
    int added = next & ~status;
    if ((added & STATUS_FAILED) != 0) {
      status = next; // the driver gave up; allowed at any time
      return WriteResult.ACCEPTED;
    }
    if ((status & STATUS_FAILED) != 0) {
      return WriteResult.rejected("status 0x" + Integer.toHexString(next) + " after FAILED (reset first)");
    }
    if ((next & STATUS_DRIVER) != 0 && (next & STATUS_ACKNOWLEDGE) == 0) {
      return WriteResult.rejected("status DRIVER set without ACKNOWLEDGE");
    }
    if ((next & STATUS_FEATURES_OK) != 0 && (next & STATUS_DRIVER) == 0) {
      return WriteResult.rejected("status FEATURES_OK set without DRIVER");
    }
    if ((next & STATUS_DRIVER_OK) != 0 && (next & STATUS_FEATURES_OK) == 0) {
      return WriteResult.rejected("status DRIVER_OK set without FEATURES_OK");
    }
    if ((added & STATUS_FEATURES_OK) != 0 && !VirtioFeatures.has(driverFeatures, VirtioFeatures.VERSION_1)) {
      return WriteResult.rejected("FEATURES_OK refused: the driver did not accept VIRTIO_F_VERSION_1 (features 0x"
          + Long.toHexString(driverFeatures) + ")");
    }
    status = next;
    if ((added & STATUS_DRIVER_OK) != 0) {
      int gen = generation.get();
      String bad = device.activate(new DeviceContext(this, gen, memory, queues, driverFeatures));
      if (bad != null) {
        deviceNeedsReset(gen, "device activation failed: " + bad);
      }
    }
    return WriteResult.ACCEPTED;
  }

  /** Returns device and transport to their initial state (the guest wrote 0 to Status). */
  public synchronized void reset() {
    generation.incrementAndGet();
    for (Virtqueue q : queues) {
      q.reset();
    }
    device.reset();
    status = 0;
    deviceFeaturesSel = 0;
    driverFeaturesSel = 0;
    driverFeatures = 0;
    queueSel = 0;
    interruptStatus.set(0);
    needsResetReason = null;
  }

  boolean isGeneration(int gen) {
    return generation.get() == gen;
  }

  void raiseInterrupt(int gen, int bit) {
    if (generation.get() != gen) {
      return;
    }
    interruptStatus.getAndUpdate(s -> s | bit);
    line.trigger();
  }

  void deviceNeedsReset(int gen, String reason) {
    if (generation.get() != gen || needsResetReason != null) {
      return;
    }
    needsResetReason = reason;
    error("device type " + device.deviceType() + " needs reset: " + reason);
    configGeneration.incrementAndGet();
    raiseInterrupt(gen, INT_CONFIG_CHANGE);
  }

  /** Bumps the config generation after the device changed its configuration space, and interrupts. */
  public void configChanged() {
    configGeneration.incrementAndGet();
    raiseInterrupt(generation.get(), INT_CONFIG_CHANGE);
  }

  private void error(String message) {
    try {
      errors.accept(message);
    } catch (RuntimeException ignored) {
      // a failing listener must not turn a guest error into a host crash
    }
  }
}
