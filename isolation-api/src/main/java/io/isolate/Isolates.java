package io.isolate;

import io.isolate.spi.IsolateBackend;
import io.isolate.spi.IsolationProvider;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Entry points that are not tied to one isolate: {@link #doctor()} and {@link #create(IsolateSpec)}.
 *
 * <pre>{@code
 * System.out.print(Isolates.doctor());   // every level, available or not, and why
 * }</pre>
 *
 * <p>Providers are found with {@link ServiceLoader} on the class path. A level can be switched off with the
 * system property {@code isolate.<level>.disabled=true} (for example {@code -Disolate.hardware.disabled=true}).
 * Each provider is probed once per JVM, on first use: building an isolate probes its level alone.
 */
public final class Isolates {
  private static final Map<IsolationLevel, IsolationProvider> PROVIDERS = loadProviders();
  private static final Map<IsolationLevel, Availability> PROBED = new ConcurrentHashMap<>();

  private Isolates() {}

  private static Map<IsolationLevel, IsolationProvider> loadProviders() {
    Map<IsolationLevel, IsolationProvider> found = new EnumMap<>(IsolationLevel.class);
    for (IsolationProvider p : ServiceLoader.load(IsolationProvider.class, Isolates.class.getClassLoader())) {
      found.putIfAbsent(p.level(), p);
    }
    return found;
  }

  /**
   * Reports every level: available or not on this host, and exactly why. Levels not probed yet are probed in
   * parallel (each probe does the real thing: opens {@code /dev/kvm}, runs the helper, instantiates a module), so the
   * first call costs about as much as the slowest probe, and later calls nothing.
   */
  public static DoctorReport doctor() {
    List<Thread> probes = new ArrayList<>();
    for (IsolationLevel level : IsolationLevel.values()) {
      if (PROVIDERS.containsKey(level) && !PROBED.containsKey(level)) {
        Thread t = new Thread(() -> availability(level), "isolate-probe-" + level.name().toLowerCase(Locale.ROOT));
        t.setDaemon(true);
        t.start();
        probes.add(t);
      }
    }
    for (Thread t : probes) {
      boolean interrupted = false;
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true; // a probe ends by itself: wait for it, then restore the interrupt
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    List<DoctorReport.LevelStatus> levels = new ArrayList<>();
    for (IsolationLevel level : IsolationLevel.values()) {
      IsolationProvider provider = PROVIDERS.get(level);
      levels.add(new DoctorReport.LevelStatus(level, provider == null ? "" : provider.name(), availability(level)));
    }
    return new DoctorReport(levels);
  }

  /** Whether {@code level} can be provided here; see {@link #doctor()} for all levels at once. */
  public static Availability availability(IsolationLevel level) {
    String property = "isolate." + level.name().toLowerCase(Locale.ROOT) + ".disabled";
    if (io.isolate.spi.SystemProperties.flag(property)) {
      return Availability.unavailable("switched off by the system property " + property);
    }
    IsolationProvider provider = PROVIDERS.get(level);
    if (provider == null) {
      return Availability.unavailable("no provider on the class path; add the module " + moduleOf(level));
    }
    return PROBED.computeIfAbsent(level, l -> {
      try {
        return provider.probe();
      } catch (RuntimeException | LinkageError e) {
        return Availability.unavailable("probe of " + provider.name() + " failed: " + e);
      }
    });
  }

  /** Refuses settings of another level, and JVM-wide settings that differ from the JVM's. */
  private static void checkSettings(IsolateSpec spec, IsolationProvider provider) {
    Class<? extends ProviderSettings> type = provider.settingsType();
    for (ProviderSettings s : spec.settings()) {
      if (type == null || !type.isInstance(s)) {
        throw new InvalidSpecException(s.getClass().getSimpleName() + " are not settings of level " + spec.level()
            + (type == null ? ", which has none" : ", whose settings are " + type.getSimpleName()));
      }
      ProviderSettings jvm = provider.jvmSettings();
      String differing = jvm == null ? null : s.firstJvmWideDifference(jvm);
      if (differing != null) {
        throw new InvalidSpecException(type.getSimpleName() + "." + differing + " belongs to the whole JVM, not to "
            + "one isolate: it is set by its system property before the level's first isolate (see "
            + type.getSimpleName() + ")");
      }
    }
  }

  private static String moduleOf(IsolationLevel level) {
    return switch (level) {
      case HARDWARE -> "io.isolate:provider-vm";
      case PARAVIRT -> "io.isolate:provider-pv";
      case OS -> "io.isolate:provider-container";
      case PROCESS -> "io.isolate:provider-wasm";
    };
  }

  /** A network's backend from the OS level's provider; see {@link IsolateNetwork#create()}. */
  static io.isolate.spi.NetworkBackend createNetwork() {
    Availability availability = availability(IsolationLevel.OS);
    if (!availability.isAvailable()) {
      throw new LevelUnavailableException(IsolationLevel.OS, availability.explanation());
    }
    return PROVIDERS.get(IsolationLevel.OS).createNetwork();
  }

  /**
   * Creates an isolate from a spec; {@link Isolate.Builder#build()} calls this.
   *
   * @throws LevelUnavailableException when the level cannot be provided here, or not for this workload kind
   */
  public static Isolate create(IsolateSpec spec) {
    IsolationLevel level = spec.level();
    Availability availability = availability(level);
    if (!availability.isAvailable()) {
      throw new LevelUnavailableException(level, availability.explanation());
    }
    IsolationProvider provider = PROVIDERS.get(level);
    if (!provider.workloadKinds().contains(spec.workload().kind())) {
      // the spec is wrong, not the host: another level runs this workload
      throw new InvalidSpecException("level " + level + " runs "
          + provider.workloadKinds().stream().map(Enum::name).sorted().collect(Collectors.joining(", "))
          + " workloads, not " + spec.workload().kind() + " (" + spec.workload().name() + ")");
    }
    checkSettings(spec, provider);
    EventPublisher events = EventPublisher.of(spec);
    spec.sharedNetwork().ifPresent(n -> n.join(spec.networkAliases()));
    IsolateBackend backend = provider.create(spec);
    return new DefaultIsolate(spec, provider.name(), backend, events);
  }
}
