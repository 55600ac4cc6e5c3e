package io.isolate.pv.virtio;

import static io.isolate.pv.virtio.DriverQueue.Buf.out;
import static io.isolate.pv.virtio.MmioTransport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MmioTransportTest {
  private static final long FEATURES = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC;

  /** A device with two queues that fills every writable buffer with 0x5a. */
  static final class FillDevice implements VirtioDevice {
    DeviceContext context;
    int resets;
    final byte[] config = {1, 2, 3, 4, 5, 6, 7, 8};

    @Override public int deviceType() { return 42; }
    @Override public long deviceFeatures() { return FEATURES | VirtioFeatures.RING_EVENT_IDX | 1; }
    @Override public int[] queueMaxSizes() { return new int[] {16, 256}; }
    @Override public int configSize() { return config.length; }
    @Override public void readConfig(int offset, byte[] data) { System.arraycopy(config, offset, data, 0, data.length); }
    @Override public String writeConfig(int offset, byte[] data) {
      if (offset != 0 || data.length != 1) {
        return "only byte 0 is writable";
      }
      config[0] = data[0];
      return null;
    }
    @Override public String activate(DeviceContext context) {
      this.context = context;
      return context.queue(0).isReady() ? null : "queue 0 must be ready";
    }
    @Override public void queueNotify(int index) {
      Virtqueue q = context.queue(index);
      try {
        for (DescriptorChain c; (c = q.pop()) != null; ) {
          byte[] fill = new byte[(int) c.writableBytes()];
          java.util.Arrays.fill(fill, (byte) 0x5a);
          q.addUsed(c.headIndex(), c.write(context.memory(), fill, 0, fill.length));
        }
      } catch (InvalidChainException e) {
        q.addUsed(e.headIndex(), 0);
      } catch (QueueBrokenException e) {
        context.needsReset(e.getMessage());
        return;
      }
      context.signalUsed(q);
    }
    @Override public void reset() { resets++; context = null; }
  }

  private final QueueMemory memory = QueueMemory.wrap(ByteBuffer.allocateDirect(1 << 20));
  private final FillDevice device = new FillDevice();
  private final AtomicInteger interrupts = new AtomicInteger();
  private final List<String> errors = new ArrayList<>();
  private final MmioTransport transport = new MmioTransport(device, memory, interrupts::incrementAndGet, errors::add);
  private final GuestDriver driver = new GuestDriver(transport, memory, new GuestAllocator(0x1000, 1 << 20));

  @Test
  void identifiesItselfAsAModernVirtioMmioDevice() {
    assertEquals(0x74726976, transport.read(MAGIC_VALUE, 4));
    assertEquals(2, transport.read(VERSION_REG, 4));
    assertEquals(42, transport.read(DEVICE_ID, 4));
    assertEquals(VENDOR_ID, transport.read(VENDOR_ID_REG, 4));
    assertEquals(0x3000_0001L, transport.read(DEVICE_FEATURES, 4));
    driver.write(DEVICE_FEATURES_SEL, 1);
    assertEquals(1, transport.read(DEVICE_FEATURES, 4));
    assertEquals(0xffff_ffffL, transport.read(SHM_LEN_LOW, 4), "no shared memory regions");
  }

  @Test
  void bringsUpADeviceAndServesItsQueue() {
    driver.start(FEATURES, 8, 4);
    long buf = driver.allocator.alloc(100, 8);
    driver.queue(0).add(List.of(out(buf, 100)));
    driver.kick(0);
    assertEquals(List.of(new DriverQueue.Used(0, 100)), driver.queue(0).drainUsed());
    assertEquals(0x5a, memory.getU8(buf + 99));
    assertEquals(1, interrupts.get());
    assertEquals(1, driver.takeInterrupts());
    assertEquals(0, transport.interruptStatus());
    assertTrue(errors.isEmpty(), errors::toString);
  }

  @Test
  void readsAndWritesConfigSpaceWithItsAccessWidths() {
    assertEquals(0x0807060504030201L, transport.read(CONFIG, 8));
    assertEquals(0x0403, transport.read(CONFIG + 2, 2));
    assertTrue(transport.write(CONFIG, 1, 0x99).accepted());
    assertEquals(0x99, transport.read(CONFIG, 1));
    assertFalse(transport.write(CONFIG + 4, 4, 0).accepted());
    assertFalse(transport.write(CONFIG + 6, 4, 0).accepted(), "crosses the end of config space");
    assertEquals(0, transport.read(CONFIG + 6, 4));
  }

  @Test
  void resetsOnStatusZeroAndForgetsEverything() {
    driver.start(FEATURES, 8, 4);
    driver.write(STATUS, 0);
    assertEquals(0, transport.status());
    assertEquals(2, device.resets, "one by start(), one now");
    driver.write(QUEUE_SEL, 0);
    assertEquals(0, transport.read(QUEUE_READY, 4));
    driver.start(FEATURES, 8, 4); // and comes up again
  }

  @Test
  void refusesStatusBitsOutOfOrder() {
    assertRejected(STATUS, STATUS_DRIVER, "without ACKNOWLEDGE");
    driver.write(STATUS, STATUS_ACKNOWLEDGE);
    assertRejected(STATUS, STATUS_ACKNOWLEDGE | STATUS_FEATURES_OK, "without DRIVER");
    driver.write(STATUS, 3);
    assertRejected(STATUS, 3 | STATUS_DRIVER_OK, "without FEATURES_OK");
    assertRejected(STATUS, 1, "clears bits");
    assertRejected(STATUS, 3 | STATUS_DEVICE_NEEDS_RESET, "a driver may not set");
    assertRejected(STATUS, 3 | STATUS_FEATURES_OK, "VIRTIO_F_VERSION_1");
    assertEquals(3, transport.status());
  }

  @Test
  void refusesFeaturesTheDeviceDoesNotOfferOrOutsideTheNegotiationWindow() {
    assertRejected(DRIVER_FEATURES, 1, "after DRIVER");
    driver.write(STATUS, 1);
    driver.write(STATUS, 3);
    assertRejected(DRIVER_FEATURES, 0x8000_0000L, "does not offer");
    assertRejected(DRIVER_FEATURES_SEL, 2, "must be 0 or 1");
    driver.write(DRIVER_FEATURES_SEL, 1);
    driver.write(DRIVER_FEATURES, 1);
    driver.write(STATUS, 0xb);
    assertRejected(DRIVER_FEATURES, 1, "before FEATURES_OK");
  }

  @Test
  void refusesQueueSetupOutsideItsWindowAndBadLayouts() {
    assertRejected(QUEUE_NUM, 8, "after FEATURES_OK");
    driver.start(FEATURES, 8);
    assertRejected(QUEUE_SEL, 2, "below the queue count 2");
    driver.write(QUEUE_SEL, 0);
    assertRejected(QUEUE_NUM, 4, "while the queue is ready");
    driver.write(STATUS, 0);
    driver.write(STATUS, 1);
    driver.write(STATUS, 3);
    driver.write(DRIVER_FEATURES_SEL, 1);
    driver.write(DRIVER_FEATURES, 1);
    driver.write(STATUS, 0xb);
    driver.write(QUEUE_SEL, 1);
    assertRejected(QUEUE_NUM, 0, "power of 2");
    assertRejected(QUEUE_NUM, 100, "power of 2");
    assertRejected(QUEUE_NUM, 512, "power of 2 in [1, 256]");
    driver.write(QUEUE_NUM, 256);
    driver.write(QUEUE_DESC_LOW, 0xfff00);
    driver.write(QUEUE_DRIVER_LOW, 0x2000);
    driver.write(QUEUE_DEVICE_LOW, 0x3000);
    assertRejected(QUEUE_READY, 1, "descriptor table 0xfff00+4096 lies outside guest memory");
    driver.write(QUEUE_DESC_HIGH, 0xffff_ffffL);
    assertRejected(QUEUE_READY, 1, "outside guest memory");
    assertRejected(QUEUE_READY, 7, "must be 0 or 1");
    assertEquals(0, transport.read(QUEUE_READY, 4));
  }

  @Test
  void refusesNotificationsThatNameNoLiveQueue() {
    assertRejected(QUEUE_NOTIFY, 0, "before DRIVER_OK");
    driver.start(FEATURES, 8); // queue 1 left unconfigured
    assertRejected(QUEUE_NOTIFY, 1, "not ready");
    assertRejected(QUEUE_NOTIFY, 99, "names no queue");
    assertFalse(transport.notifyQueue(-1).accepted());
  }

  @Test
  void refusesReadOnlyRegistersUnknownOffsetsAndOddWidths() {
    for (int reg : new int[] {MAGIC_VALUE, VERSION_REG, DEVICE_ID, VENDOR_ID_REG, DEVICE_FEATURES, QUEUE_NUM_MAX,
        INTERRUPT_STATUS, CONFIG_GENERATION}) {
      assertRejected(reg, 0, "read-only");
    }
    assertRejected(0x0c8, 0, "no register");
    assertFalse(transport.write(STATUS, 1, 1).accepted());
    assertFalse(transport.write(STATUS + 1, 4, 1).accepted());
    assertEquals(0, transport.read(STATUS, 2));
    assertEquals(0, transport.status());
  }

  @Test
  void setsNeedsResetWhenTheGuestCorruptsARunningQueue() {
    driver.start(FEATURES, 8, 4);
    driver.queue(0).setAvailIndex(500);
    driver.kick(0);
    assertTrue((transport.status() & STATUS_DEVICE_NEEDS_RESET) != 0);
    assertNotNull(transport.needsResetReason());
    assertEquals(2, transport.interruptStatus() & 2, "config-change interrupt");
    assertFalse(transport.notifyQueue(0).accepted(), "no more work until reset");
    driver.write(STATUS, 0);
    assertNull(transport.needsResetReason());
  }

  @Test
  void setsNeedsResetWhenTheDeviceCannotActivate() {
    driver.write(STATUS, 1);
    driver.write(STATUS, 3);
    driver.write(DRIVER_FEATURES_SEL, 1);
    driver.write(DRIVER_FEATURES, 1);
    driver.write(STATUS, 0xb);
    driver.write(STATUS, 0xf);
    assertTrue(transport.needsResetReason().contains("queue 0 must be ready"));
  }

  @Test
  void survivesGarbageWritesToEveryRegisterInEveryState() {
    Random random = new Random(99);
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      for (int round = 0; round < 300; round++) {
        if (random.nextInt(3) == 0) {
          driver.write(STATUS, 0);
          driver.start(FEATURES, 8, 4);
        }
        for (int i = 0; i < 500; i++) {
          long offset = random.nextInt(4) == 0 ? random.nextInt(0x200) : 4L * random.nextInt(0x48);
          int size = new int[] {1, 2, 4, 8, 3}[random.nextInt(5)];
          long value = switch (random.nextInt(4)) {
            case 0 -> random.nextLong();
            case 1 -> random.nextInt(16);
            case 2 -> 1L << random.nextInt(64);
            default -> random.nextInt(0x100000);
          };
          WriteResult r = transport.write(offset, size, value);
          assertNotNull(r);
          transport.read(random.nextInt(0x200), size);
          if (random.nextInt(50) == 0) {
            transport.notifyQueue(random.nextInt(3));
          }
        }
      }
    });
    assertTrue(transport.rejectedWrites() > 0);
  }

  private void assertRejected(int offset, long value, String reasonPart) {
    WriteResult r = transport.write(offset, 4, value);
    assertFalse(r.accepted(), () -> "write 0x" + Long.toHexString(value) + " at 0x" + Integer.toHexString(offset)
        + " was accepted");
    assertTrue(r.reason().contains(reasonPart), r.reason());
  }
}
