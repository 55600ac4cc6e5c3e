package io.isolate.vm.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses static x86-64 ELF executables (ET_EXEC and static-PIE ET_DYN). Every header field is treated as hostile:
 * offsets and sizes are checked against the file with overflow-safe arithmetic, and segments against the guest's
 * address space, so garbage, truncated or malicious files end in an {@link ElfException} naming the problem.
 */
public final class ElfLoader {
  static final int PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_PHDR = 6;
  static final int PF_X = 1, PF_W = 2, PF_R = 4;
  private static final int ET_EXEC = 2, ET_DYN = 3, EM_X86_64 = 62;
  private static final long PAGE = 4096;
  /** Where a static-PIE program's lowest segment is placed, as Linux would with no randomization. */
  public static final long PIE_BASE = 0x400000;

  private ElfLoader() {}

  /**
   * Parses {@code file} for an address space whose usable range is {@code [minAddress, maxAddress)}.
   *
   * @throws ElfException when the file is not a static x86-64 executable that fits
   */
  public static ElfImage parse(byte[] file, long minAddress, long maxAddress) {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    if (file.length >= 4 && b.getInt(0) != 0x464C457F) {
      throw new ElfException("not an ELF executable: bad magic number (the file starts with "
          + String.format("%02x %02x %02x %02x", file[0], file[1], file[2], file[3]) + ")");
    }
    if (file.length < 64) {
      throw new ElfException("not an ELF executable: " + file.length + " bytes is shorter than an ELF header (64)");
    }
    if (file[4] != 2) {
      throw new ElfException("not a 64-bit ELF executable (EI_CLASS " + file[4] + ")");
    }
    if (file[5] != 1) {
      throw new ElfException("not a little-endian ELF executable (EI_DATA " + file[5] + ")");
    }
    int type = b.getShort(16) & 0xFFFF;
    int machine = b.getShort(18) & 0xFFFF;
    if (machine != EM_X86_64) {
      throw new ElfException("not an x86-64 executable (e_machine " + machine + ")");
    }
    if (type != ET_EXEC && type != ET_DYN) {
      throw new ElfException("not an executable (e_type " + type + "; 2 = ET_EXEC or 3 = ET_DYN expected)");
    }
    long entry = b.getLong(24);
    long phoff = b.getLong(32);
    int phentsize = b.getShort(54) & 0xFFFF;
    int phnum = b.getShort(56) & 0xFFFF;
    if (phentsize != 56) {
      throw new ElfException("program header size " + phentsize + " is not 56");
    }
    if (phnum == 0 || phnum > 512) {
      throw new ElfException("program header count " + phnum + " is not between 1 and 512");
    }
    if (phoff < 0 || phoff > file.length || (long) phnum * phentsize > file.length - phoff) {
      throw new ElfException("truncated ELF file: program headers at offset " + phoff + " (" + phnum + " x "
          + phentsize + " bytes) extend past the end of the file (" + file.length + " bytes)");
    }
    List<long[]> loads = new ArrayList<>();
    boolean dynamic = false;
    long phdrVaddr = -1;
    for (int i = 0; i < phnum; i++) {
      int o = (int) (phoff + (long) i * phentsize);
      int pType = b.getInt(o);
      if (pType == PT_INTERP) {
        throw new ElfException("needs a static executable: this one is dynamically linked (it asks for the "
            + "interpreter " + interpreter(file, b, o) + ")");
      }
      if (pType == PT_DYNAMIC) {
        dynamic = true;
      }
      if (pType == PT_PHDR) {
        phdrVaddr = b.getLong(o + 16);
      }
      if (pType == PT_LOAD) {
        long[] seg = {b.getInt(o + 4), b.getLong(o + 8), b.getLong(o + 16), b.getLong(o + 32), b.getLong(o + 40),
            b.getLong(o + 48), i};
        loads.add(seg);
      }
    }
    if (loads.isEmpty()) {
      throw new ElfException("the executable has no loadable (PT_LOAD) segment");
    }
    long minVaddr = Long.MAX_VALUE;
    for (long[] s : loads) {
      minVaddr = Math.min(minVaddr, s[2] & ~(PAGE - 1));
    }
    long bias = type == ET_DYN ? PIE_BASE - minVaddr : 0;
    List<ElfImage.Segment> segments = new ArrayList<>();
    long end = 0;
    long phdrAddress = 0;
    for (long[] s : loads) {
      int flags = (int) s[0];
      long offset = s[1], vaddr = s[2], filesz = s[3], memsz = s[4], align = s[5];
      int index = (int) s[6];
      if (offset < 0 || filesz < 0 || offset > file.length || filesz > file.length - offset) {
        throw new ElfException("truncated ELF file: segment " + index + " needs bytes " + offset + ".."
            + (offset + filesz) + " but the file has " + file.length);
      }
      if (memsz < filesz) {
        throw new ElfException("segment " + index + " is smaller in memory (" + memsz + ") than in the file ("
            + filesz + ")");
      }
      if (align > 1 && (vaddr - offset) % PAGE != 0) {
        throw new ElfException("segment " + index + " has address 0x" + Long.toHexString(vaddr)
            + " and file offset 0x" + Long.toHexString(offset) + " not congruent modulo the page size");
      }
      long address;
      long limit;
      try {
        address = Math.addExact(vaddr, bias);
        limit = Math.addExact(address, memsz);
      } catch (ArithmeticException e) {
        throw new ElfException("segment " + index + " at 0x" + Long.toHexString(vaddr) + " overflows the address "
            + "space");
      }
      if (address < minAddress || limit > maxAddress || limit < address) {
        throw new ElfException(String.format("segment %d at 0x%x (%d bytes) lies outside the guest's address "
            + "space [0x%x, 0x%x); a larger memory limit may help", index, address, memsz, minAddress, maxAddress));
      }
      segments.add(new ElfImage.Segment(address, memsz, offset, filesz, (flags & PF_R) != 0, (flags & PF_W) != 0,
          (flags & PF_X) != 0));
      end = Math.max(end, (limit + PAGE - 1) & ~(PAGE - 1));
      if (phoff >= offset && phoff + (long) phnum * phentsize <= offset + filesz) {
        phdrAddress = address + (phoff - offset);
      }
    }
    if (phdrVaddr >= 0) {
      phdrAddress = phdrVaddr + bias;
    }
    long entryAddress = entry + bias;
    boolean entryInside = false;
    for (ElfImage.Segment s : segments) {
      if (entryAddress >= s.address() && entryAddress < s.address() + s.memorySize()) {
        entryInside = true;
      }
    }
    if (!entryInside) {
      throw new ElfException("the entry point 0x" + Long.toHexString(entryAddress) + " is not in any segment");
    }
    return new ElfImage(bias, entryAddress, phdrAddress, phentsize, phnum, List.copyOf(segments), end);
  }

  private static String interpreter(byte[] file, ByteBuffer b, int o) {
    long off = b.getLong(o + 8);
    long size = b.getLong(o + 32);
    if (off < 0 || size <= 0 || size > 4096 || off > file.length - size) {
      return "(unreadable)";
    }
    int len = 0;
    while (len < size && file[(int) off + len] != 0) {
      len++;
    }
    return new String(file, (int) off, len, java.nio.charset.StandardCharsets.ISO_8859_1);
  }
}
