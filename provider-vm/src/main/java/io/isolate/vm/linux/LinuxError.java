package io.isolate.vm.linux;

import io.isolate.vm.kvm.Errno;

/** A system call failing with an errno; cheap (no stack trace), thrown from deep inside and caught at dispatch. */
final class LinuxError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int errno;

  LinuxError(int errno) {
    super(Errno.name(errno), null, false, false);
    this.errno = errno;
  }
}
