package io.isolate.vm.vstate;

/** An access outside guest memory; the message gives the address, the size and the limit. */
public final class GuestMemoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GuestMemoryException(String message) {
    super(message);
  }
}
