package io.isolate;

import java.util.Objects;

/** Whether a provider can work on this host, and the evidence either way. */
public final class Availability {
  private final boolean available;
  private final String explanation;

  private Availability(boolean available, String explanation) {
    this.available = available;
    this.explanation = Objects.requireNonNull(explanation, "explanation");
  }

  /** Available; {@code details} says what was found (for example "KVM API 12, PVM"). */
  public static Availability available(String details) {
    return new Availability(true, details);
  }

  /** Unavailable; {@code reason} says exactly why, in words a user can act on. */
  public static Availability unavailable(String reason) {
    return new Availability(false, reason);
  }

  public boolean isAvailable() {
    return available;
  }

  /** The reason when unavailable, the details when available. */
  public String explanation() {
    return explanation;
  }

  @Override
  public String toString() {
    return (available ? "available: " : "unavailable: ") + explanation;
  }
}
