package io.isolate.vm.linux;

import io.isolate.vm.elf.ElfImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the System V initial process stack at the top of the stack: argc, argv, envp, the auxiliary vector, and
 * the strings and random bytes they point to. The result is 16-byte aligned at argc, as the x86-64 ABI requires.
 */
final class InitialStack {
  static final int AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8,
      AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16,
      AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31;
  private static final SecureRandom RANDOM = new SecureRandom();

  private InitialStack() {}

  /** The stack's bytes, to be written so that they end at {@code top}, and the initial RSP. */
  record Built(byte[] bytes, long rsp) {}

  static Built build(long top, ElfImage image, List<String> argv, List<String> env, String execfn, long hwcap) {
    ByteArrayOutputStream strings = new ByteArrayOutputStream();
    // strings are laid out downwards from top; remember each one's offset from the start of the string area
    List<Integer> argOffsets = new ArrayList<>();
    List<Integer> envOffsets = new ArrayList<>();
    for (String a : argv) {
      argOffsets.add(strings.size());
      strings.writeBytes(cString(a));
    }
    for (String e : env) {
      envOffsets.add(strings.size());
      strings.writeBytes(cString(e));
    }
    int execfnOffset = strings.size();
    strings.writeBytes(cString(execfn));
    int platformOffset = strings.size();
    strings.writeBytes(cString("x86_64"));
    int randomOffset = strings.size();
    byte[] random = new byte[16];
    RANDOM.nextBytes(random);
    strings.writeBytes(random);
    byte[] area = strings.toByteArray();
    long areaStart = (top - 16 - area.length) & ~15L;

    long[][] aux = {
        {AT_PHDR, image.phdrAddress()}, {AT_PHENT, image.phentsize()}, {AT_PHNUM, image.phnum()},
        {AT_PAGESZ, 4096}, {AT_BASE, 0}, {AT_FLAGS, 0}, {AT_ENTRY, image.entry()},
        {AT_UID, Stat.GUEST_UID}, {AT_EUID, Stat.GUEST_UID}, {AT_GID, Stat.GUEST_GID}, {AT_EGID, Stat.GUEST_GID},
        {AT_PLATFORM, areaStart + platformOffset}, {AT_HWCAP, hwcap}, {AT_CLKTCK, 100}, {AT_SECURE, 0},
        {AT_RANDOM, areaStart + randomOffset}, {AT_HWCAP2, 0}, {AT_EXECFN, areaStart + execfnOffset},
        {AT_NULL, 0}};
    int words = 1 + argv.size() + 1 + env.size() + 1 + 2 * aux.length;
    long rsp = (areaStart - 8L * words) & ~15L;
    ByteBuffer b = ByteBuffer.allocate((int) (top - rsp)).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(argv.size());
    for (int o : argOffsets) {
      b.putLong(areaStart + o);
    }
    b.putLong(0);
    for (int o : envOffsets) {
      b.putLong(areaStart + o);
    }
    b.putLong(0);
    for (long[] kv : aux) {
      b.putLong(kv[0]).putLong(kv[1]);
    }
    b.position((int) (areaStart - rsp));
    b.put(area);
    return new Built(b.array(), rsp);
  }

  private static byte[] cString(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return java.util.Arrays.copyOf(b, b.length + 1);
  }
}
