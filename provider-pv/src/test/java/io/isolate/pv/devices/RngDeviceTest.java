package io.isolate.pv.devices;

import static io.isolate.pv.virtio.DriverQueue.Buf.in;
import static io.isolate.pv.virtio.DriverQueue.Buf.out;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.pv.virtio.DriverQueue;
import io.isolate.pv.virtio.VirtioFeatures;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RngDeviceTest {
  private final List<String> errors = new ArrayList<>();
  private final RngDevice rng = new RngDevice(new SecureRandom(), 1024, errors::add);
  private final ConsoleGuest guest = new ConsoleGuest(rng, 1 << 20).start(VirtioFeatures.VERSION_1
      | VirtioFeatures.RING_INDIRECT_DESC, 1, 64);

  @Test
  void fillsRequestBuffersWithRandomBytes() {
    long a = guest.driver.allocator.alloc(16, 8);
    long b = guest.driver.allocator.alloc(16, 8);
    guest.queue(0).add(List.of(out(a, 16), out(b, 16)));
    guest.driver.kick(0);
    assertEquals(List.of(new DriverQueue.Used(0, 32)), guest.queue(0).drainUsed());
    assertNotEquals(0, guest.memory.getU64(a) | guest.memory.getU64(a + 8));
    assertNotEquals(guest.memory.getU64(a), guest.memory.getU64(b));
    assertEquals(32, rng.bytesServed());
    assertEquals(1, guest.interrupts.get());
  }

  @Test
  void capsTheBytesOfOneRequest() {
    long a = guest.driver.allocator.alloc(4096, 8);
    guest.queue(0).addIndirect(List.of(out(a, 4096)));
    guest.driver.kick(0);
    assertEquals(1024, guest.queue(0).drainUsed().get(0).length());
  }

  @Test
  void refusesRequestsWithReadableBuffersAndGoesOn() {
    long a = guest.driver.allocator.alloc(64, 8);
    guest.queue(0).add(List.of(in(a, 8), out(a + 8, 8)));
    guest.queue(0).add(List.of(out(a + 16, 8)));
    guest.driver.kick(0);
    List<DriverQueue.Used> used = guest.queue(0).drainUsed();
    assertEquals(0, used.get(0).length());
    assertEquals(8, used.get(1).length());
    assertEquals(1, rng.badChains());
    assertTrue(errors.get(0).contains("only device-writable"), errors.get(0));
  }
}
