package io.isolate.runtime;

import io.isolate.Availability;
import io.isolate.DoctorReport;
import io.isolate.Isolate;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.InvalidSpecException;
import io.isolate.LevelUnavailableException;
import io.isolate.ProviderSettings;
import io.isolate.internal.IsolateRuntime;
import io.isolate.internal.NetworkAccess;
import io.isolate.internal.NetworkHandle;
import io.isolate.spi.IsolateBackend;
import io.isolate.spi.IsolationProvider;
import io.isolate.spi.SystemProperties;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The runtime behind {@link io.isolate.Isolates}: finds the providers with {@link ServiceLoader}, probes each once
 * (on first use), checks a spec against its level's provider, and wraps what the provider makes in the one
 * {@link Isolate} implementation ({@link DefaultIsolate}).
 */
public final class ProviderRuntime implements IsolateRuntime {
  private final Map<IsolationLevel, IsolationProvider> providers = loadProviders();
  private final Map<IsolationLevel, Availability> probed = new ConcurrentHashMap<>();

  /** Made by {@link ServiceLoader}, once per {@link io.isolate.Isolates}. */
  public ProviderRuntime() {}

  private static Map<IsolationLevel, IsolationProvider> loadProviders() {
    Map<IsolationLevel, IsolationProvider> found = new EnumMap<>(IsolationLevel.class);
    for (IsolationProvider p : ServiceLoader.load(IsolationProvider.class, ProviderRuntime.class.getClassLoader())) {
      IsolationProvider first = found.putIfAbsent(p.level(), p);
      if (first != null) {
        // two providers of one level: the class path's order decides, which the application should know
        System.getLogger("io.isolate").log(System.Logger.Level.WARNING, "two providers of level " + p.level() + ": "
            + first.name() + " (" + first.getClass().getName() + ") is used, " + p.name() + " ("
            + p.getClass().getName() + ") is not; remove one from the class path");
      }
    }
    return found;
  }

  @Override
  public DoctorReport doctor() {
    List<Thread> probes = new ArrayList<>();
    for (IsolationLevel level : IsolationLevel.values()) {
      if (providers.containsKey(level) && !probed.containsKey(level)) {
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
      IsolationProvider provider = providers.get(level);
      levels.add(new DoctorReport.LevelStatus(level, provider == null ? "" : provider.name(), availability(level)));
    }
    return new DoctorReport(levels);
  }

  @Override
  public Availability availability(IsolationLevel level) {
    String property = "isolate." + level.name().toLowerCase(Locale.ROOT) + ".disabled";
    if (SystemProperties.flag(property)) {
      return Availability.unavailable("switched off by the system property " + property);
    }
    IsolationProvider provider = providers.get(level);
    if (provider == null) {
      return IsolateRuntime.noProvider(level);
    }
    return probed.computeIfAbsent(level, l -> {
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

  @Override
  public NetworkHandle createNetwork() {
    Availability availability = availability(IsolationLevel.OS);
    if (!availability.isAvailable()) {
      throw new LevelUnavailableException(IsolationLevel.OS, availability.explanation());
    }
    return NetworkHandles.of(providers.get(IsolationLevel.OS).createNetwork());
  }

  @Override
  public Isolate create(IsolateSpec spec) {
    IsolationLevel level = spec.level();
    Availability availability = availability(level);
    if (!availability.isAvailable()) {
      throw new LevelUnavailableException(level, availability.explanation());
    }
    IsolationProvider provider = providers.get(level);
    if (!provider.workloadKinds().contains(spec.workload().kind())) {
      // the spec is wrong, not the host: another level runs this workload
      throw new InvalidSpecException("level " + level + " runs "
          + provider.workloadKinds().stream().map(Enum::name).sorted().collect(Collectors.joining(", "))
          + " workloads, not " + spec.workload().kind() + " (" + spec.workload().name() + ")");
    }
    checkSettings(spec, provider);
    EventPublisher events = EventPublisher.of(spec);
    spec.sharedNetwork().ifPresent(n -> NetworkAccess.get().join(n, spec.networkAliases()));
    IsolateBackend backend = provider.create(spec);
    return new DefaultIsolate(spec, provider.name(), backend, events);
  }
}
