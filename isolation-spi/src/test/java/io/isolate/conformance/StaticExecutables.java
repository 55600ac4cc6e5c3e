package io.isolate.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The check that a program the project builds and ships (the OS level's helper, the demo's HARDWARE workload) is a
 * static x86-64 executable: no interpreter and no dynamic section, so it starts whatever C library the host has.
 */
public final class StaticExecutables {
  private StaticExecutables() {}

  /** Fails unless {@code elf} is a 64-bit ELF file without {@code PT_INTERP} or {@code PT_DYNAMIC}. */
  public static void assertStatic(byte[] elf, String what) {
    ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0x464c457f, b.getInt(0), what + ": an ELF file");
    assertEquals(2, b.get(4), what + ": 64-bit");
    long phoff = b.getLong(32);
    int phentsize = b.getShort(54) & 0xffff;
    int phnum = b.getShort(56) & 0xffff;
    for (int i = 0; i < phnum; i++) {
      int type = b.getInt((int) (phoff + (long) i * phentsize));
      assertTrue(type != 3 /* PT_INTERP */ && type != 2 /* PT_DYNAMIC */,
          what + ": program header " + i + " is of type " + type + ", so it needs a dynamic loader");
    }
  }
}
