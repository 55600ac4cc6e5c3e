package io.isolate.container.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny classic-BPF assembler for seccomp filters: {@code struct sock_filter {u16 code; u8 jt; u8 jf; u32 k;}}
 * in little-endian order, jumps relative to the next instruction, as in {@code linux/filter.h}.
 */
final class Bpf {
  static final int BPF_LD_W_ABS = 0x00 | 0x00 | 0x20; // BPF_LD | BPF_W | BPF_ABS
  static final int BPF_JEQ_K = 0x05 | 0x10 | 0x00; // BPF_JMP | BPF_JEQ | BPF_K
  static final int BPF_JGE_K = 0x05 | 0x30 | 0x00;
  static final int BPF_JSET_K = 0x05 | 0x40 | 0x00;
  static final int BPF_RET_K = 0x06 | 0x00;

  static final int OFFSET_NR = 0;
  static final int OFFSET_ARCH = 4;
  static final int AUDIT_ARCH_X86_64 = 0xC000003E;

  static final int RET_KILL_PROCESS = 0x80000000;
  static final int RET_ERRNO = 0x00050000;
  static final int RET_ALLOW = 0x7fff0000;
  static final int EPERM = 1;
  static final int ENOSYS = 38;

  /** One instruction. */
  record Insn(int code, int jt, int jf, int k) {}

  private final List<Insn> program = new ArrayList<>();

  static int errno(int errno) {
    return RET_ERRNO | (errno & 0xffff);
  }

  /** Offset of the low 32 bits of argument {@code i} in {@code struct seccomp_data} (little-endian). */
  static int offsetArgLow(int i) {
    return 16 + 8 * i;
  }

  void load(int offset) {
    program.add(new Insn(BPF_LD_W_ABS, 0, 0, offset));
  }

  void jumpIfEqual(int k, int jt, int jf) {
    program.add(new Insn(BPF_JEQ_K, jt, jf, k));
  }

  void jumpIfGreaterOrEqual(int k, int jt, int jf) {
    program.add(new Insn(BPF_JGE_K, jt, jf, k));
  }

  void jumpIfAnySet(int k, int jt, int jf) {
    program.add(new Insn(BPF_JSET_K, jt, jf, k));
  }

  void ret(int k) {
    program.add(new Insn(BPF_RET_K, 0, 0, k));
  }

  List<Insn> instructions() {
    return List.copyOf(program);
  }

  byte[] toBytes() {
    if (program.size() > 4096) {
      throw new IllegalStateException("seccomp program has " + program.size() + " instructions; the kernel takes 4096");
    }
    ByteBuffer b = ByteBuffer.allocate(program.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (Insn i : program) {
      b.putShort((short) i.code()).put((byte) i.jt()).put((byte) i.jf()).putInt(i.k());
    }
    return b.array();
  }
}
