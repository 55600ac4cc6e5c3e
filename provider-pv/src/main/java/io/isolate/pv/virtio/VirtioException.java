package io.isolate.pv.virtio;

/** Root of the errors a guest can provoke in the virtio layer: they describe guest misbehaviour, not host bugs. */
public class VirtioException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  VirtioException(String message) {
    super(message);
  }
}
