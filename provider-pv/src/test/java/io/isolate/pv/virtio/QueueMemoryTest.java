package io.isolate.pv.virtio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;
import java.util.stream.Stream;
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
}
