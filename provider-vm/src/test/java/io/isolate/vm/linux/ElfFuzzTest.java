package io.isolate.vm.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isolate.vm.arch.x86_64.PageTables;
import io.isolate.vm.arch.x86_64.Supervisor;
import io.isolate.vm.elf.ElfException;
import io.isolate.vm.elf.ElfImage;
import io.isolate.vm.vstate.GuestMemory;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target: the HARDWARE level's program loader with any file as the executable, through every step that runs
 * before the vCPU does (parsing, mapping and copying the segments into guest memory, building the initial stack).
 * A file is either refused with an {@link ElfException} that says why, or loaded with every segment inside the
 * address space, above the supervisor, and holding the bytes the file says. No KVM is needed: the guest memory is
 * the same mapping a VM would get. {@code mvn verify} replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class ElfFuzzTest {
  /** A small guest (8 MiB), so that mapping one per input is cheap and segments can run past its end. */
  private static final long SPACE = 8L << 20;

  @FuzzTest
  void loadsOrRefusesAnyExecutable(byte[] file) {
    ElfImage image;
    try {
      image = LinuxProcess.parse(file, SPACE);
    } catch (ElfException e) {
      assertFalse(e.getMessage() == null || e.getMessage().isBlank());
      return;
    }
    long top = SPACE - LinuxProcess.stackSize(SPACE);
    assertFalse(image.segments().isEmpty());
    boolean entryInside = false;
    for (ElfImage.Segment s : image.segments()) {
      assertTrue(s.address() >= Supervisor.USER_MIN && s.address() + s.memorySize() <= top, "segment " + s);
      assertTrue(s.fileOffset() >= 0 && s.fileSize() >= 0 && s.fileOffset() + s.fileSize() <= file.length);
      assertTrue(s.memorySize() >= s.fileSize());
      assertTrue(image.end() >= s.address() + s.memorySize());
      entryInside |= image.entry() >= s.address() && image.entry() < s.address() + s.memorySize();
    }
    assertTrue(entryInside, "entry outside every segment");
    assertEquals(0, image.end() & 4095);

    try (GuestMemory memory = GuestMemory.allocate(SPACE + PageTables.footprint(SPACE))) {
      MemoryManager mm = new MemoryManager(memory, PageTables.create(memory, SPACE, SPACE), SPACE);
      Supervisor.install(memory);
      mm.mapSupervisor();
      LinuxProcess.load(memory, mm, image, file);
      ElfImage.Segment last = image.segments().get(image.segments().size() - 1);
      byte[] expected = Arrays.copyOfRange(file, (int) last.fileOffset(), (int) (last.fileOffset() + last.fileSize()));
      assertArrayEquals(expected, memory.read(last.address(), expected.length), "the last segment's bytes");
      InitialStack.Built stack = InitialStack.build(SPACE, image, List.of("fuzz", "arg"), List.of("A=1"), "/fuzz", 0);
      assertTrue(stack.rsp() < SPACE && stack.rsp() + stack.bytes().length <= SPACE);
    }
  }
}
