package io.isolate.vm.kvm;

/**
 * A failed call into {@code /dev/kvm}; the message names the call, its arguments and the errno, for example
 * {@code KVM_SET_USER_MEMORY_REGION(slot 0, 64 MiB) failed: EINVAL}.
 */
public final class KvmException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int errno;

  public KvmException(String call, int errno) {
    super(call + " failed: " + Errno.name(errno));
    this.errno = errno;
  }

  public KvmException(String message) {
    super(message);
    this.errno = 0;
  }

  /** The errno of the failed call; 0 when the failure was not a system call error. */
  public int errno() {
    return errno;
  }
}
