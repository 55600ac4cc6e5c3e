package io.isolate.pv.vmm;

import static io.isolate.pv.virtio.DriverQueue.Buf.in;
import static io.isolate.pv.virtio.DriverQueue.Buf.out;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.pv.devices.BlockDevice;
import io.isolate.pv.devices.DiskImage;
import io.isolate.pv.devices.RngDevice;
import io.isolate.pv.hypercall.Hypercall;
import io.isolate.pv.hypercall.HypercallAbi;
import io.isolate.pv.hypercall.HypercallDecoder;
import io.isolate.pv.virtio.DriverQueue;
import io.isolate.pv.virtio.GuestAllocator;
import io.isolate.pv.virtio.GuestDriver;
import io.isolate.pv.virtio.InterruptLine;
import io.isolate.pv.virtio.MmioTransport;
import io.isolate.pv.virtio.QueueMemory;
import io.isolate.pv.virtio.VirtioDevice;
import io.isolate.pv.virtio.VirtioFeatures;
import io.isolate.vm.arch.x86_64.Supervisor;
import io.isolate.vm.vstate.GuestMemory;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The devices of a PARAVIRT machine work through {@link PvLayout#deviceView}: real rng and block devices, driven
 * through their transports as a hostile guest would, over guest memory laid out as {@link PvMachine} lays it out
 * (supervisor, page tables, boot page). Buffers, indirect tables and rings that reach into the pages below
 * {@link PvLayout#USER_LOW} are refused and those pages stay byte for byte as the VMM wrote them. Needs no KVM:
 * the real-guest version of these attacks is {@code ParavirtIsolateTest.refusesDeviceAndLogBuffersInTheVmmReservedPages}.
 */
class ReservedPagesTest {
  private static final long FEATURES = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC;
  private static final long SIZE = 4L << 20;

  private final GuestMemory ram = GuestMemory.allocate(SIZE);
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final byte[] reservedBefore;
  private final DiskImage disk;

  ReservedPagesTest() {
    Supervisor.install(ram);
    PvLayout.writePageTables(ram, 3);
    byte[] boot = new byte[4096];
    java.util.Arrays.fill(boot, (byte) 0x42); // stands for the boot information: any content the guest must not lose
    ram.write(PvLayout.BOOT_INFO, boot);
    reservedBefore = ram.read(0, (int) PvLayout.USER_LOW);
    byte[] pattern = new byte[16 << 10];
    for (int i = 0; i < pattern.length; i++) {
      pattern[i] = (byte) (i * 7 + 3);
    }
    disk = DiskImage.bytes(pattern);
  }

  @AfterEach
  void release() throws Exception {
    disk.close();
    ram.close();
  }

  private GuestDriver driver(VirtioDevice device) {
    QueueMemory view = PvLayout.deviceView(ram);
    MmioTransport t = new MmioTransport(device, view, InterruptLine.NONE, errors::add);
    // the driver's own rings live in usable memory; only the buffers it offers are hostile
    return new GuestDriver(t, view, new GuestAllocator(0x10000, SIZE)).start(FEATURES, 8);
  }

  private void assertReservedPagesUntouched() {
    assertArrayEquals(reservedBefore, ram.read(0, (int) PvLayout.USER_LOW), "the VMM's pages changed");
  }

  @Test
  void theRngRefusesBuffersInThePageTablesAndServesTheFirstUsablePage() {
    GuestDriver g = driver(new RngDevice(new SecureRandom(), 64 << 10, errors::add));
    DriverQueue q = g.queue(0);
    q.add(List.of(out(PvLayout.PML4, 4096)));
    q.add(List.of(out(PvLayout.USER_LOW - 8, 16))); // straddles the boundary
    q.add(List.of(out(0, 16))); // the null page
    q.add(List.of(out(PvLayout.USER_LOW, 64)));
    g.kick(0);
    List<DriverQueue.Used> used = q.drainUsed();
    assertEquals(List.of(0, 0, 0, 64), used.stream().map(DriverQueue.Used::length).toList(), errors::toString);
    assertReservedPagesUntouched();
    assertEquals(3, errors.stream().filter(e -> e.contains("VMM-reserved pages below 0xf000")).count(),
        errors::toString);
    assertEquals(0, g.transport.status() & MmioTransport.STATUS_DEVICE_NEEDS_RESET, "the queue goes on");
  }

  /** A block read into {@code data} with its status byte at {@code status}; returns the used length. */
  private static int blockRead(GuestDriver g, long data, int length, long status) {
    long header = g.allocator.alloc(16, 8);
    g.memory.putU32(header, 0); // VIRTIO_BLK_T_IN
    g.memory.putU32(header + 4, 0);
    g.memory.putU64(header + 8, 0);
    if (status >= PvLayout.USER_LOW) {
      g.memory.putU8(status, 0xff);
    }
    g.queue(0).add(List.of(in(header, 16), out(data, length), out(status, 1)));
    g.kick(0);
    List<DriverQueue.Used> used = g.queue(0).drainUsed();
    assertEquals(1, used.size());
    return used.get(0).length();
  }

  @Test
  void theBlockDeviceRefusesReadsIntoTheBootPageTheGdtAndIdtAndAcrossTheBoundary() {
    GuestDriver g = driver(new BlockDevice(disk, "/pattern", errors::add));
    long status = g.allocator.alloc(1, 1);
    assertEquals(0, blockRead(g, PvLayout.BOOT_INFO, 512, status), errors::toString);
    assertEquals(0xff, g.memory.getU8(status), "no status: the request was refused before a byte moved");
    assertEquals(0, blockRead(g, Supervisor.GDT, 8192, status), errors::toString); // GDT and IDT
    assertEquals(0, blockRead(g, PvLayout.USER_LOW - 512, 1024, status), errors::toString);
    long data = g.allocator.alloc(512, 512);
    assertEquals(0, blockRead(g, data, 512, PvLayout.USER_LOW - 1), "a status byte in the reserved pages");
    assertReservedPagesUntouched();
    assertEquals(4, errors.stream().filter(e -> e.contains("VMM-reserved pages below 0xf000")).count(),
        errors::toString);

    assertEquals(513, blockRead(g, PvLayout.USER_LOW, 512, status), errors::toString);
    assertEquals(0, g.memory.getU8(status), "VIRTIO_BLK_S_OK");
    byte[] got = ram.read(PvLayout.USER_LOW, 512);
    for (int i = 0; i < got.length; i++) {
      assertEquals((byte) (i * 7 + 3), got[i], "byte " + i);
    }
  }

  @Test
  void anIndirectTableInTheReservedPagesIsRefused() {
    GuestDriver g = driver(new RngDevice(new SecureRandom(), 64 << 10, errors::add));
    // the IDT holds 16-byte gates: read as descriptors, they would point anywhere
    g.queue(0).writeDescriptor(0, Supervisor.IDT, 64, 4 /* VIRTQ_DESC_F_INDIRECT */, 0);
    g.queue(0).publish(0);
    g.kick(0);
    assertEquals(List.of(new DriverQueue.Used(0, 0)), g.queue(0).drainUsed());
    assertTrue(errors.stream().anyMatch(e -> e.contains("indirect table") && e.contains("VMM-reserved")),
        errors::toString);
    assertReservedPagesUntouched();
  }

  @Test
  void ringsInTheReservedPagesAreRefusedAtQueueReady() {
    MmioTransport t = new MmioTransport(new RngDevice(new SecureRandom(), 64 << 10, errors::add),
        PvLayout.deviceView(ram), InterruptLine.NONE, errors::add);
    long[][] layouts = {
        {PvLayout.PML4, 0x20000, 0x21000}, // descriptor table over the page tables
        {0x20000, PvLayout.BOOT_INFO, 0x21000}, // available ring in the boot page
        {0x20000, 0x21000, Supervisor.GDT}, // used ring over the GDT
        {0x20000, 0x21000, PvLayout.USER_LOW - 8}, // used ring straddling the boundary
    };
    for (long[] l : layouts) {
      t.write(MmioTransport.STATUS, 4, 0);
      t.write(MmioTransport.STATUS, 4, MmioTransport.STATUS_ACKNOWLEDGE | MmioTransport.STATUS_DRIVER);
      t.write(MmioTransport.DRIVER_FEATURES_SEL, 4, 1);
      t.write(MmioTransport.DRIVER_FEATURES, 4, VirtioFeatures.VERSION_1 >>> 32);
      t.write(MmioTransport.STATUS, 4, 0xb);
      t.write(MmioTransport.QUEUE_SEL, 4, 0);
      t.write(MmioTransport.QUEUE_NUM, 4, 8);
      t.write(MmioTransport.QUEUE_DESC_LOW, 4, l[0]);
      t.write(MmioTransport.QUEUE_DRIVER_LOW, 4, l[1]);
      t.write(MmioTransport.QUEUE_DEVICE_LOW, 4, l[2]);
      assertFalse(t.write(MmioTransport.QUEUE_READY, 4, 1).accepted(), () -> java.util.Arrays.toString(l));
      assertEquals(0, t.read(MmioTransport.QUEUE_READY, 4));
    }
    assertEquals(4, errors.stream().filter(e -> e.contains("VMM-reserved pages below 0xf000")).count(),
        errors::toString);
    assertReservedPagesUntouched();
  }

  @Test
  void aLogBufferInTheReservedPagesIsAFault() {
    HypercallDecoder decoder = new HypercallDecoder(PvLayout.deviceView(ram));
    for (long at : new long[] {PvLayout.BOOT_INFO, Supervisor.GDT, PvLayout.USER_LOW - 4}) {
      Hypercall h = decoder.decode(HypercallAbi.PORT, 4, true, HypercallAbi.LOG,
          new HypercallDecoder.Registers(HypercallAbi.LOG, 1, at, 16, 0));
      Hypercall.Rejected r = assertInstanceOf(Hypercall.Rejected.class, h, () -> "LOG from 0x" + Long.toHexString(at));
      assertEquals(-HypercallAbi.EFAULT, r.rax());
      assertTrue(r.reason().contains("VMM-reserved pages below 0xf000"), r.reason());
    }
    Hypercall ok = decoder.decode(HypercallAbi.PORT, 4, true, HypercallAbi.LOG,
        new HypercallDecoder.Registers(HypercallAbi.LOG, 1, PvLayout.USER_LOW, 16, 0));
    assertInstanceOf(Hypercall.Log.class, ok);
  }
}
