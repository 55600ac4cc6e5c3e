package io.isolate;

import java.util.List;
import java.util.Objects;

/**
 * What {@link Isolates#doctor()} found: for each level, whether this host can provide it and, if not, exactly
 * why.
 */
public final class DoctorReport {
  /** The finding for one level. */
  public static final class LevelStatus {
    private final IsolationLevel level;
    private final String provider;
    private final Availability availability;

    /** Creates a finding; {@code provider} is empty when no provider of the level is on the class path. */
    public LevelStatus(IsolationLevel level, String provider, Availability availability) {
      this.level = Objects.requireNonNull(level, "level");
      this.provider = Objects.requireNonNull(provider, "provider");
      this.availability = Objects.requireNonNull(availability, "availability");
    }

    public IsolationLevel level() {
      return level;
    }

    public String provider() {
      return provider;
    }

    /** Whether the level can be provided here, and the evidence: what {@link Isolates#availability} says. */
    public Availability availability() {
      return availability;
    }

    public boolean isAvailable() {
      return availability.isAvailable();
    }

    /** Why not, when unavailable; what was found (for example "KVM: PVM"), when available. */
    public String explanation() {
      return availability.explanation();
    }

    @Override
    public String toString() {
      return String.format("%-9s %-12s %-11s %s", level, provider.isEmpty() ? "-" : provider,
          isAvailable() ? "available" : "UNAVAILABLE", explanation());
    }
  }

  private final List<LevelStatus> levels;

  /** A report of these findings, one per level in {@link IsolationLevel} order. */
  public DoctorReport(List<LevelStatus> levels) {
    this.levels = List.copyOf(levels);
  }

  /** One finding per level, in {@link IsolationLevel} order. */
  public List<LevelStatus> levels() {
    return levels;
  }

  /** The finding for {@code level}. */
  public LevelStatus level(IsolationLevel level) {
    return levels.stream().filter(s -> s.level() == level).findFirst().orElseThrow();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(String.format("%-9s %-12s %-11s %s%n", "LEVEL", "PROVIDER", "STATUS", "DETAILS"));
    levels.forEach(s -> sb.append(s).append(System.lineSeparator()));
    return sb.toString();
  }
}
