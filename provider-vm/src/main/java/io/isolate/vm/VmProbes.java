package io.isolate.vm;

import io.isolate.vm.elf.TinyElf;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.linux.LinuxProcess;
import io.isolate.vm.linux.ProcessConfig;
import java.time.Duration;

/**
 * Measurements of the VMM itself, below the Linux personality, for benchmarks and diagnostics.
 *
 * <pre>{@code
 * Duration exit = VmProbes.bareExitRoundTrip(10_000);   // one port-I/O exit to Java and back
 * Duration call = VmProbes.systemCallRoundTrip(10_000);  // one trapped getpid
 * String host = VmProbes.hostKind();                     // "PVM", "VT-x", "AMD-V" or "unknown"
 * }</pre>
 */
public final class VmProbes {
  private VmProbes() {}

  /**
   * The mean round trip of a bare port-I/O exit: a guest loop of {@code out 0xE9, al} in supervisor mode, each
   * write leaving KVM_RUN, dispatched on the I/O bus in Java, and re-entering. On PVM hosts supervisor code is
   * emulated, so the figure includes the emulation of the loop's three instructions.
   *
   * @throws io.isolate.vm.kvm.KvmException when KVM is unavailable
   */
  public static Duration bareExitRoundTrip(int iterations) {
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations (" + iterations + ") must be positive");
    }
    byte[] code = {
        (byte) 0xE6, (byte) 0xE9, //  loop: out 0xE9, al
        (byte) 0xFF, (byte) 0xC9, //        dec ecx
        0x75, (byte) 0xFA, //               jnz loop
        (byte) 0xB0, 0x00, //               mov al, 0
        (byte) 0xE6, (byte) 0xF4, //        out 0xF4, al     ; exit port
        (byte) 0xF4 //                      hlt
    };
    try (RawGuest guest = new RawGuest(code, iterations)) {
      long t0 = System.nanoTime();
      long exits = guest.run();
      return Duration.ofNanos((System.nanoTime() - t0) / exits);
    }
  }

  /**
   * The mean round trip of a trapped system call: a built-in static program (no compiler needed) calls
   * {@code getpid} {@code iterations} times; each call leaves the guest, is served by the Java Linux personality
   * and returns. Includes one VM start, negligible for large {@code iterations}.
   *
   * @throws io.isolate.vm.kvm.KvmException when KVM is unavailable
   */
  public static Duration systemCallRoundTrip(int iterations) {
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations (" + iterations + ") must be positive");
    }
    byte[] code = {
        0x41, (byte) 0xBC, (byte) iterations, (byte) (iterations >> 8), (byte) (iterations >> 16),
        (byte) (iterations >> 24), //                 mov r12d, iterations
        (byte) 0xB8, 39, 0, 0, 0, //           loop: mov eax, 39 (getpid)
        0x0F, 0x05, //                               syscall
        0x41, (byte) 0xFF, (byte) 0xCC, //           dec r12d
        0x75, (byte) 0xF4, //                        jnz loop
        (byte) 0xB8, 60, 0, 0, 0, //                 mov eax, 60 (exit)
        0x31, (byte) 0xFF, //                        xor edi, edi
        0x0F, 0x05 //                                syscall
    };
    try (LinuxProcess p = LinuxProcess.create(new ProcessConfig(TinyElf.executable(code), "getpid-loop"))) {
      LinuxProcess.Outcome o = p.run();
      if (o.termination() != io.isolate.Termination.EXITED) {
        throw new IllegalStateException("the system-call probe ended " + o.termination() + ": " + o.detail());
      }
      return o.wallTime().dividedBy(iterations);
    }
  }

  /** What backs {@code /dev/kvm} here: "PVM", "VT-x", "AMD-V" or "unknown". */
  public static String hostKind() {
    return KvmDevice.hostKind();
  }
}
