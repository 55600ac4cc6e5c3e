package io.isolate.pv.virtio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class QueueMemoryTest {
  private static final Memory NATIVE = new Memory(4096);

  static Stream<QueueMemory> memories() {
    NATIVE.clear();
    return Stream.of(QueueMemory.wrap(ByteBuffer.allocate(4096)), QueueMemory.wrap(ByteBuffer.allocateDirect(4096)),
        QueueMemory.wrap(NATIVE, 4096));
  }

  @ParameterizedTest
  @MethodSource("memories")
  void readsAndWritesLittleEndianUnsignedValues(QueueMemory m) {
    m.putU64(8, 0x0102030405060708L);
    assertEquals(0x08, m.getU8(8));
    assertEquals(0x0708, m.getU16(8));
    assertEquals(0x05060708L, m.getU32(8));
    m.putU32(16, 0xffff_fffeL);
    assertEquals(0xffff_fffeL, m.getU32(16), "u32 is unsigned");
    m.putU16(20, 0xfffe);
    assertEquals(0xfffe, m.getU16(20), "u16 is unsigned");
    m.write(100, new byte[] {1, 2, 3, 4, 5}, 1, 3);
    byte[] back = new byte[4];
    m.read(99, back, 0, 4);
    assertArrayEquals(new byte[] {0, 2, 3, 4}, back);
    m.fill(200, 50, (byte) 7);
    assertEquals(7, m.getU8(249));
    assertEquals(0, m.getU8(250));
  }

  @ParameterizedTest
  @MethodSource("memories")
  void refusesEveryAccessThatLeavesMemoryNamingAddressLengthAndSize(QueueMemory m) {
    GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> m.getU32(4094));
    assertTrue(e.getMessage().contains("0xffe+4") && e.getMessage().contains("4096 bytes"), e.getMessage());
    assertThrows(GuestMemoryException.class, () -> m.getU8(-1));
    assertThrows(GuestMemoryException.class, () -> m.putU64(4089, 0));
    assertThrows(GuestMemoryException.class, () -> m.read(4000, new byte[200], 0, 200));
    assertThrows(GuestMemoryException.class, () -> m.write(Long.MAX_VALUE - 1, new byte[4], 0, 4));
    assertTrue(assertThrows(GuestMemoryException.class, () -> m.checkRange(Long.MAX_VALUE, 10)).getMessage()
        .contains("wraps around"));
    assertThrows(GuestMemoryException.class, () -> m.fill(4000, 97, (byte) 0));
    assertTrue(m.contains(0, 4096));
    assertFalse(m.contains(1, 4096));
    assertFalse(m.contains(Long.MAX_VALUE, Long.MAX_VALUE));
    assertFalse(m.contains(-5, 1));
  }

  private static final long USABLE = 0xf000; // as PARAVIRT's layout: the VMM's pages below
  private static final int RESERVED_SIZE = 0x11000;
  private static final Memory NATIVE_RESERVED = new Memory(RESERVED_SIZE);

  static Stream<QueueMemory> reservedMemories() {
    NATIVE_RESERVED.clear();
    return Stream.of(QueueMemory.wrap(ByteBuffer.allocate(RESERVED_SIZE), USABLE),
        QueueMemory.wrap(ByteBuffer.allocateDirect(RESERVED_SIZE), USABLE),
        QueueMemory.wrap(NATIVE_RESERVED, RESERVED_SIZE, USABLE));
  }

  private static void assertReserved(QueueMemory m, long address, long length) {
    assertFalse(m.contains(address, length), () -> Long.toHexString(address) + "+" + length);
    GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> m.checkRange(address, length));
    assertTrue(e.getMessage().contains("VMM-reserved pages below 0xf000"), e.getMessage());
    assertTrue(m.whyNotUsable(address, length).startsWith("0x" + Long.toHexString(address) + "+" + length + " "));
  }

  @ParameterizedTest
  @MethodSource("reservedMemories")
  void refusesEveryRangeThatReachesBelowTheUsableStart(QueueMemory m) {
    assertEquals(USABLE, m.usableStart());
    // just below
    assertReserved(m, USABLE - 1, 1);
    assertReserved(m, 0, 1);
    assertReserved(m, USABLE - 1, 0); // an empty range must still start in usable memory
    assertThrows(GuestMemoryException.class, () -> m.getU8(USABLE - 1));
    assertThrows(GuestMemoryException.class, () -> m.putU8(0xe000, 1));
    // straddling the boundary
    assertReserved(m, USABLE - 8, 16);
    assertReserved(m, 0, RESERVED_SIZE); // all of memory
    assertThrows(GuestMemoryException.class, () -> m.putU64(USABLE - 4, -1));
    assertThrows(GuestMemoryException.class, () -> m.getU32(USABLE - 2));
    assertThrows(GuestMemoryException.class, () -> m.write(USABLE - 1, new byte[2], 0, 2));
    assertThrows(GuestMemoryException.class, () -> m.read(USABLE - 512, new byte[1024], 0, 1024));
    assertThrows(GuestMemoryException.class, () -> m.slice(USABLE - 16, 32));
    assertThrows(GuestMemoryException.class, () -> m.fill(0xe000, 0x2000, (byte) 1));
    // at and just above
    assertTrue(m.contains(USABLE, RESERVED_SIZE - USABLE));
    assertTrue(m.contains(USABLE + 1, 1));
    assertNull(m.whyNotUsable(USABLE, 8));
    m.putU64(USABLE, 0x1122334455667788L);
    assertEquals(0x1122334455667788L, m.getU64(USABLE));
    m.putU8(USABLE + 1, 0xaa);
    assertEquals(0xaa, m.getU8(USABLE + 1));
    assertEquals(16, m.slice(USABLE, 16).remaining());
    m.fill(USABLE, 64, (byte) 5);
    // the end of memory still bounds the usable range
    assertFalse(m.contains(RESERVED_SIZE - 1, 2));
    assertTrue(m.whyNotUsable(RESERVED_SIZE - 1, 2).contains("outside guest memory of " + RESERVED_SIZE + " bytes"));
  }

  @ParameterizedTest
  @MethodSource("reservedMemories")
  void refusesHostileRangesThatOverflowOrWrapBackIntoUsableMemory(QueueMemory m) {
    // ends past 2^63: exact arithmetic refuses them instead of seeing a small end
    assertTrue(m.whyNotUsable(USABLE, Long.MAX_VALUE).contains("wraps around"));
    assertTrue(m.whyNotUsable(Long.MAX_VALUE, 1).contains("wraps around"));
    assertThrows(GuestMemoryException.class, () -> m.getU64(Long.MAX_VALUE - 3));
    // a u64 guest address near 2^64 whose end "wraps" into usable memory: negative as a long, refused
    long nearTop = 0xffff_ffff_ffff_f000L;
    assertFalse(m.contains(nearTop, 0x10000 + 0x1000)); // would end at 0x10000, inside and above the boundary
    assertTrue(m.whyNotUsable(nearTop, 0x11000).contains("outside guest memory"));
    assertFalse(m.contains(-1, 1));
    assertFalse(m.contains(USABLE, -1));
    assertTrue(m.whyNotUsable(USABLE, -1).contains("negative length"));
    assertFalse(m.contains(Long.MIN_VALUE, Long.MAX_VALUE));
  }

  @Test
  void aRefusedWriteChangesNothingBelowTheBoundary() {
    ByteBuffer backing = ByteBuffer.allocate(RESERVED_SIZE);
    QueueMemory m = QueueMemory.wrap(backing, USABLE);
    byte[] ones = new byte[0x3000];
    java.util.Arrays.fill(ones, (byte) 1);
    assertThrows(GuestMemoryException.class, () -> m.write(0xe000, ones, 0, ones.length));
    assertThrows(GuestMemoryException.class, () -> m.fill(USABLE - 1, 2, (byte) 1));
    for (int i = 0; i < USABLE + 0x2000; i++) {
      assertEquals(0, backing.get(i), "byte 0x" + Integer.toHexString(i));
    }
  }

  @Test
  void theUsableStartMustLieWithinTheMemory() {
    assertThrows(IllegalArgumentException.class, () -> QueueMemory.wrap(ByteBuffer.allocate(4096), 4097));
    assertThrows(IllegalArgumentException.class, () -> QueueMemory.wrap(ByteBuffer.allocate(4096), -1));
    assertEquals(0, QueueMemory.wrap(ByteBuffer.allocate(4096)).usableStart());
    assertTrue(QueueMemory.wrap(ByteBuffer.allocate(4096)).contains(0, 4096));
  }
}
