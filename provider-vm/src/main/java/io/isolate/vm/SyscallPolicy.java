package io.isolate.vm;

import io.isolate.InvalidSpecException;
import java.util.Set;

/** Checks the spec's system-call lists: names the HARDWARE level understands. Denied calls fail with EPERM. */
final class SyscallPolicy {
  private SyscallPolicy() {}

  static void check(Set<String> denied, Set<String> allowed) {
    for (String name : denied) {
      if (io.isolate.vm.linux.LinuxProcess.syscallNumber(name) < 0) {
        throw new InvalidSpecException("denied system call '" + name + "' is not an x86-64 Linux system call");
      }
    }
    if (!allowed.isEmpty()) {
      throw new InvalidSpecException("allowed system calls " + allowed + ": the HARDWARE level has no default deny "
          + "list to relax; every call it implements is allowed");
    }
  }
}
