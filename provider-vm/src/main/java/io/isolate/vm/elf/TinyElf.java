package io.isolate.vm.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Wraps machine code into the smallest static x86-64 executable: an ELF header, one read+execute PT_LOAD
 * segment at {@link #BASE} covering the whole file, and the code right after the headers, where execution starts.
 */
public final class TinyElf {
  public static final long BASE = 0x400000;
  private static final int HEADERS = 64 + 56;

  private TinyElf() {}

  public static byte[] executable(byte[] code) {
    int size = HEADERS + code.length;
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x464C457F).put((byte) 2).put((byte) 1).put((byte) 1).put((byte) 0); // ELF64, LSB, version 1, SysV
    b.position(16);
    b.putShort((short) 2).putShort((short) 62).putInt(1); // ET_EXEC, EM_X86_64, EV_CURRENT
    b.putLong(BASE + HEADERS).putLong(64).putLong(0); // e_entry, e_phoff, e_shoff
    b.putInt(0).putShort((short) 64).putShort((short) 56).putShort((short) 1); // flags, ehsize, phentsize, phnum
    b.putShort((short) 64).putShort((short) 0).putShort((short) 0); // shentsize, shnum, shstrndx
    b.putInt(ElfLoader.PT_LOAD).putInt(ElfLoader.PF_R | ElfLoader.PF_X).putLong(0).putLong(BASE).putLong(BASE)
        .putLong(size).putLong(size).putLong(0x1000);
    b.put(code);
    return b.array();
  }
}
