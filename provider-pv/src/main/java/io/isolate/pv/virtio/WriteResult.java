package io.isolate.pv.virtio;

/**
 * The outcome of one register write by the guest: accepted, or rejected with the reason. A rejected write changes
 * nothing (except where the reason says the device now needs a reset).
 */
public record WriteResult(boolean accepted, String reason) {
  static final WriteResult ACCEPTED = new WriteResult(true, null);

  static WriteResult rejected(String reason) {
    return new WriteResult(false, reason);
  }

  @Override
  public String toString() {
    return accepted ? "accepted" : "rejected: " + reason;
  }
}
