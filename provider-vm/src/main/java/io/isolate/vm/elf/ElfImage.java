package io.isolate.vm.elf;

import java.util.List;

/**
 * A parsed, validated static x86-64 executable: what to load where, and what the initial stack's auxiliary vector
 * tells the program about itself. Addresses already include {@link #loadBias()}.
 *
 * @param loadBias what was added to every virtual address (0 for ET_EXEC, the chosen base for static-PIE)
 * @param entry the entry point
 * @param phdrAddress where the program headers are in guest memory (AT_PHDR), 0 if not loaded
 * @param phentsize the program header size (AT_PHENT)
 * @param phnum the number of program headers (AT_PHNUM)
 * @param segments the PT_LOAD segments, in file order
 * @param end the first page-aligned address above every segment: where brk starts
 */
public record ElfImage(long loadBias, long entry, long phdrAddress, int phentsize, int phnum,
    List<Segment> segments, long end) {

  /** A PT_LOAD segment: {@code fileSize} bytes from {@code fileOffset} at {@code address}, then zeros. */
  public record Segment(long address, long memorySize, long fileOffset, long fileSize, boolean read,
      boolean write, boolean execute) {}
}
