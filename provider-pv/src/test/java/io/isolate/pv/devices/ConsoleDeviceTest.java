package io.isolate.pv.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.pv.virtio.MmioTransport;
import io.isolate.pv.virtio.VirtioFeatures;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConsoleDeviceTest {
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final List<byte[]> portData = new ArrayList<>();
  private final List<Boolean> portOpen = new ArrayList<>();
  private PortSender portSender;
  private final PortHandler handler = new PortHandler() {
    @Override public void attached(PortSender sender) { portSender = sender; }
    @Override public void received(byte[] data) { portData.add(data); }
    @Override public void guestOpened(boolean open) { portOpen.add(open); }
  };

  private ConsoleDevice.Builder console() {
    return ConsoleDevice.builder().stdout((b, off, len) -> {
      stdout.write(b, off, len);
      return true;
    }).namedPort("isolate.call", handler);
  }

  @Test
  void announcesPortsThroughTheMultiportHandshake() {
    ConsoleGuest guest = new ConsoleGuest(console().build(), 4 << 20).start(ConsoleGuest.FEATURES, 6);
    assertEquals(2, guest.transport.read(MmioTransport.CONFIG + 4, 4), "max_nr_ports");

    List<ControlMessage> messages = guest.handshake();

    List<String> seen = messages.stream().map(m -> m.id() + ":" + ControlMessage.eventName(m.event()) + ":" + m.value()
        + (m.extra().length > 0 ? ":" + new String(m.extra(), StandardCharsets.UTF_8) : "")).toList();
    assertEquals(List.of("0:DEVICE_ADD:0", "1:DEVICE_ADD:0", "0:CONSOLE_PORT:1", "0:PORT_OPEN:1",
        "1:PORT_NAME:1:isolate.call", "1:PORT_OPEN:1"), seen);
    guest.control(1, ControlMessage.PORT_OPEN, 1);
    assertEquals(List.of(true), portOpen);
    assertTrue(guest.errors.isEmpty(), guest.errors::toString);
  }

  @Test
  void writesPortZeroToStdout() {
    ConsoleGuest guest = new ConsoleGuest(console().build(), 4 << 20).start(ConsoleGuest.FEATURES, 6);
    guest.transmit(1, "hello, ".getBytes(), 3, false);
    guest.transmit(1, "world\n".getBytes(), 100, true);
    assertEquals("hello, world\n", stdout.toString());
    assertEquals(13, ((ConsoleDevice) guest.transport.device()).stats().stdoutBytes());
  }

  @Test
  void worksWithoutMultiportOnPortZeroAlone() {
    ConsoleDevice device = console().build();
    ConsoleGuest guest = new ConsoleGuest(device, 1 << 20).start(VirtioFeatures.VERSION_1, 2);
    guest.transmit(1, "plain".getBytes(), 8, false);
    guest.postReceive(0, 2, 64);
    device.stdin().send("typed".getBytes());
    assertEquals("plain", stdout.toString());
    assertEquals("typed", new String(guest.receiveAll(0)));
  }

  @Test
  void deliversHostBytesToANamedPortAsBuffersArrive() {
    ConsoleGuest guest = new ConsoleGuest(console().build(), 4 << 20).start(ConsoleGuest.FEATURES, 6);
    guest.handshake();
    portSender.send("abc".getBytes(), "defghij".getBytes()); // no receive buffers yet: held
    assertEquals(0, guest.receiveAll(4).length);
    guest.postReceive(4, 2, 4);
    assertEquals("abcdefgh", new String(guest.receiveAll(4)), "two 4-byte buffers");
    assertEquals("ij", new String(guest.receiveAll(4)), "the re-posted buffers take the rest");
    guest.transmit(5, "reply".getBytes(), 2, false);
    assertEquals("reply", new String(portData.get(0)));
  }

  @Test
  void asksForReceiveKicksOnlyWhileBytesWaitForBuffers() {
    ConsoleDevice device = console().build();
    device.stdin().send("early".getBytes()); // before the driver exists
    ConsoleGuest guest = new ConsoleGuest(device, 1 << 20).start(VirtioFeatures.VERSION_1, 2);
    assertEquals(0, guest.memory.getU16(guest.queue(0).used), "kicks wanted: bytes are waiting");
    guest.postReceive(0, 1, 64);
    assertEquals("early", new String(guest.receiveAll(0)));
    assertEquals(1, guest.memory.getU16(guest.queue(0).used), "VIRTQ_USED_F_NO_NOTIFY once drained");
    device.stdin().send(new byte[200]); // more than the re-posted 64-byte buffer holds
    assertEquals(0, guest.memory.getU16(guest.queue(0).used), "ran dry with bytes waiting: kicks wanted again");
  }

  @Test
  void refusesHostBytesBeyondThePendingLimit() {
    console().maxPendingBytes(10).build();
    assertNotNull(portSender);
    portSender.send(new byte[10]);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> portSender.send(new byte[1]));
    assertTrue(e.getMessage().contains("limit of 10"), e.getMessage());
  }

  @Test
  void throttlesStdoutWithTheRateLimiterAndResumesLater() {
    AtomicLong now = new AtomicLong();
    ConsoleDevice device = console().outputRate(1000, 100).nanoClock(now::get).build();
    ConsoleGuest guest = new ConsoleGuest(device, 4 << 20).start(ConsoleGuest.FEATURES, 6);
    guest.transmit(1, new byte[150], 150, false); // passes whole, bucket now 50 bytes in debt
    guest.transmit(1, new byte[10], 10, false); // held back
    assertEquals(150, device.stats().stdoutBytes());
    assertTrue(device.stats().throttled());
    assertEquals(51_000_000, device.nanosUntilOutputAllowed());
    now.addAndGet(51_000_000);
    device.resumeOutput();
    assertEquals(160, device.stats().stdoutBytes());
    assertEquals(1, guest.queue(1).drainUsed().size(), "the held chain was returned after the resume");
  }

  @Test
  void dropsAndCountsOutputBeyondTheBudget() {
    long[] budget = {10};
    ConsoleDevice device = ConsoleDevice.builder().stdout((b, off, len) -> {
      long granted = Math.min(budget[0], len);
      budget[0] -= granted;
      stdout.write(b, off, (int) granted);
      return granted == len;
    }).build();
    ConsoleGuest guest = new ConsoleGuest(device, 1 << 20).start(VirtioFeatures.VERSION_1, 2);
    guest.transmit(1, new byte[8], 8, false);
    guest.transmit(1, new byte[8], 8, false);
    guest.transmit(1, new byte[8], 8, false);
    ConsoleStats stats = device.stats();
    assertTrue(stats.outputLimitExceeded());
    assertEquals(8, stats.stdoutBytes());
    assertEquals(16, stats.droppedBytes());
    assertEquals(10, stdout.size());
  }

  @Test
  void refusesMalformedChainsAndControlMessagesAndKeepsWorking() {
    List<String> errors = new ArrayList<>();
    ConsoleDevice device = console().errors(errors::add).build();
    ConsoleGuest guest = new ConsoleGuest(device, 4 << 20).start(ConsoleGuest.FEATURES, 6);
    guest.handshake();
    guest.transmit(ConsoleDevice.CONTROL_TX, new byte[4], 4, false); // too short
    guest.control(99, ControlMessage.PORT_READY, 1); // no such port
    guest.control(0, ControlMessage.RESIZE, 0); // device-only event
    guest.queue(1).writeDescriptor(0, 0xffff_ffffL << 8, 64, 0, 0);
    guest.queue(1).publish(0);
    guest.driver.kick(1);
    assertEquals(4, device.stats().badChains());
    assertEquals(4, errors.size(), errors::toString);
    assertTrue(errors.get(0).contains("control message of 4 readable"), errors.get(0));
    assertTrue(errors.get(1).contains("names port 99, but the device has 2"), errors.get(1));
    assertTrue(errors.get(2).contains("RESIZE, which only the device sends"), errors.get(2));
    assertTrue(errors.get(3).contains("outside guest memory"), errors.get(3));
    guest.transmit(1, "still alive".getBytes(), 64, false);
    assertEquals("still alive", stdout.toString());
    assertEquals(0, guest.transport.status() & MmioTransport.STATUS_DEVICE_NEEDS_RESET);
  }

  @Test
  void needsResetOnAnImpossibleAvailableIndexAndRecoversAfterReset() {
    ConsoleDevice device = console().build();
    ConsoleGuest guest = new ConsoleGuest(device, 4 << 20).start(ConsoleGuest.FEATURES, 6);
    guest.queue(5).setAvailIndex(1000);
    guest.driver.kick(5);
    assertTrue((guest.transport.status() & MmioTransport.STATUS_DEVICE_NEEDS_RESET) != 0);
    assertTrue(guest.transport.needsResetReason().contains("available index 1000"));
    ConsoleGuest again = new ConsoleGuest(device, 4 << 20).start(ConsoleGuest.FEATURES, 6);
    again.transmit(1, "ok".getBytes(), 2, false);
    assertEquals("ok", stdout.toString());
  }

  @Test
  void survivesRandomChainsOnEveryQueue() {
    ConsoleDevice device = console().build();
    ConsoleGuest guest = new ConsoleGuest(device, 8 << 20).start(ConsoleGuest.FEATURES, 6);
    guest.handshake();
    Random random = new Random(3);
    for (int round = 0; round < 3000; round++) {
      int q = random.nextInt(6);
      int desc = random.nextInt(256);
      guest.queue(q).writeDescriptor(desc, random.nextInt(8 << 20), random.nextInt(1 << 14), random.nextInt(8),
          random.nextInt(300));
      guest.queue(q).publish(desc);
      guest.transport.notifyQueue(q);
      if (guest.transport.needsResetReason() != null) {
        guest = new ConsoleGuest(device, 8 << 20).start(ConsoleGuest.FEATURES, 6);
        guest.handshake();
      }
      if (random.nextInt(20) == 0) {
        portSender.send(new byte[random.nextInt(100)]);
      }
    }
    assertFalse(device.stats().badChains() == 0);
  }

  @Test
  void carriesSeveralMebibytesToAndFromANamedPort() {
    ConsoleGuest guest = new ConsoleGuest(console().build(), 64 << 20).start(ConsoleGuest.FEATURES, 6);
    guest.handshake();
    byte[] big = new byte[6 << 20];
    new Random(11).nextBytes(big);
    guest.transmit(5, big, 64 << 10, true);
    assertArrayEquals(big, portData.get(0));
    guest.postReceive(4, 8, 1 << 20);
    portSender.send(big);
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    for (int i = 0; i < 10 && got.size() < big.length; i++) {
      got.writeBytes(guest.receiveAll(4));
    }
    assertArrayEquals(big, got.toByteArray());
  }
}
