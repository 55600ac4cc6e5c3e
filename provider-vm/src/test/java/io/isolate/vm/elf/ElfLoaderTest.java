package io.isolate.vm.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Termination;
import io.isolate.Workload;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Prerequisites;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The loader refuses what it cannot run, with a message that says why. */
class ElfLoaderTest {
  private static final long MAX = 64L << 20;

  private static String reject(byte[] file) {
    return assertThrows(ElfException.class, () -> ElfLoader.parse(file, 0x10000, MAX)).getMessage();
  }

  @Test
  void rejectsGarbage() {
    byte[] garbage = new byte[4096];
    new Random(1).nextBytes(garbage);
    assertTrue(reject(garbage).startsWith("not an ELF executable: bad magic number"));
    assertTrue(reject(new byte[] {0x7F, 0x45, 0x4C, 0x46, 2}).contains("shorter than an ELF header"));
    assertTrue(reject("#!/bin/sh\necho hi\n".getBytes()).contains("bad magic"));
  }

  @Test
  void rejectsTruncatedFiles() throws Exception {
    byte[] hello = Fixtures.bytes("hello", Libc.MUSL);
    assertTrue(reject(Arrays.copyOf(hello, 100)).startsWith("truncated ELF file: program headers"));
    assertTrue(reject(Arrays.copyOf(hello, 2000)).startsWith("truncated ELF file: segment"));
  }

  @Test
  void rejectsDynamicExecutables() throws Exception {
    byte[] dynamic = Files.readAllBytes(Fixtures.dynamicProgram());
    String message = reject(dynamic);
    assertTrue(message.startsWith("needs a static executable"), message);
    assertTrue(message.contains("ld-linux"), message);
  }

  @Test
  void rejectsOtherArchitecturesAndClasses() {
    byte[] hello = Fixtures.bytes("hello", Libc.MUSL);
    byte[] arm = hello.clone();
    arm[18] = (byte) 183; // EM_AARCH64
    assertTrue(reject(arm).startsWith("not an x86-64 executable"));
    byte[] elf32 = hello.clone();
    elf32[4] = 1;
    assertTrue(reject(elf32).startsWith("not a 64-bit ELF"));
  }

  @Test
  void rejectsSegmentsOutsideTheAddressSpace() {
    byte[] hello = Fixtures.bytes("hello", Libc.MUSL);
    ByteBuffer b = ByteBuffer.wrap(hello).order(ByteOrder.LITTLE_ENDIAN);
    long phoff = b.getLong(32);
    for (int i = 0; i < (b.getShort(56) & 0xFFFF); i++) {
      int o = (int) (phoff + 56L * i);
      if (b.getInt(o) == 1) {
        b.putLong(o + 16, 0x7000_0000_0000L); // p_vaddr far above guest memory
        break;
      }
    }
    assertTrue(reject(hello).contains("lies outside the guest's address space"), reject(hello));
    b.putLong((int) phoff + 16, -4096L);
  }

  @Test
  void parsesAStaticExecutable() {
    ElfImage image = ElfLoader.parse(Fixtures.bytes("hello", Libc.GLIBC), 0x10000, MAX);
    assertEquals(0, image.loadBias());
    assertTrue(image.entry() >= 0x400000);
    assertTrue(image.phdrAddress() > 0);
  }

  @Test
  void aBrokenExecutableFailsToStartWithTheLoadersMessage() {
    Prerequisites.requireKvm();
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.HARDWARE)
        .workload(Workload.elf("not an elf at all".getBytes(), "junk")).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination());
      assertTrue(r.detail().contains("bad magic number"), r.detail());
    }
  }
}
