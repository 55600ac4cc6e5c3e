package io.isolate;

import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Everything that describes an isolate, immutable and validated: made by {@link Isolate.Builder#spec()}, turned
 * back into a builder by {@link #toBuilder()}. Providers receive it; applications can keep one and build many
 * isolates from it.
 */
public final class IsolateSpec {
  private final IsolationLevel level;
  private final Workload workload;
  private final Rootfs rootfs;
  private final List<Mount> mounts;
  private final Limits limits;
  private final Network network;
  private final Input stdin;
  private final Output stdout;
  private final Output stderr;
  private final Map<String, String> env;
  private final String workingDir;
  private final String hostname;
  private final RunAs runAs;
  private final IsolateNetwork sharedNetwork;
  private final Set<String> networkAliases;
  private final List<HostFunction> hostFunctions;
  private final Map<String, String> config;
  private final Set<String> deniedSyscalls;
  private final Set<String> allowedSyscalls;
  private final List<PublishedPort> publishedPorts;
  private final boolean acceptUnenforcedLimits;
  private final Consumer<? super IsolateEvent> eventListener;
  private final Map<Class<?>, ProviderSettings> settings;
  private final Clock clock;

  IsolateSpec(Isolate.Builder b) {
    this.level = b.level;
    this.workload = b.workload;
    this.rootfs = b.rootfs;
    this.mounts = List.copyOf(b.mounts);
    this.limits = b.limits;
    this.network = b.network;
    this.stdin = b.stdin;
    this.stdout = b.stdout;
    this.stderr = b.stderr;
    this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
    this.workingDir = b.workingDir;
    this.hostname = b.hostname;
    this.runAs = b.runAs;
    this.sharedNetwork = b.sharedNetwork;
    this.networkAliases = Set.copyOf(b.networkAliases);
    this.hostFunctions = List.copyOf(b.hostFunctions);
    this.config = Collections.unmodifiableMap(new LinkedHashMap<>(b.config));
    this.deniedSyscalls = Collections.unmodifiableSet(new LinkedHashSet<>(b.deniedSyscalls));
    this.allowedSyscalls = Collections.unmodifiableSet(new LinkedHashSet<>(b.allowedSyscalls));
    this.publishedPorts = List.copyOf(b.publishedPorts);
    this.acceptUnenforcedLimits = b.acceptUnenforcedLimits;
    this.eventListener = b.eventListener;
    this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(b.settings));
    this.clock = b.clock;
  }

  /** A builder holding this spec's values. */
  public Isolate.Builder toBuilder() {
    return new Isolate.Builder(this);
  }

  public IsolationLevel level() {
    return level;
  }

  public Workload workload() {
    return workload;
  }

  /** The root file system (OS level). */
  public Rootfs rootfs() {
    return rootfs;
  }

  public List<Mount> mounts() {
    return mounts;
  }

  public Limits limits() {
    return limits;
  }

  public Network network() {
    return network;
  }

  public Input stdin() {
    return stdin;
  }

  public Output stdout() {
    return stdout;
  }

  public Output stderr() {
    return stderr;
  }

  /** The workload's environment: exactly these variables, nothing inherited from the host. */
  public Map<String, String> env() {
    return env;
  }

  /** The workload's working directory inside the isolate. */
  public String workingDir() {
    return workingDir;
  }

  /** The host name the workload sees (OS level). */
  public String hostname() {
    return hostname;
  }

  /** The network of isolates this one joins (OS level), if any; its {@link #network()} is then LOOPBACK. */
  public Optional<IsolateNetwork> sharedNetwork() {
    return Optional.ofNullable(sharedNetwork);
  }

  /** The aliases by which the other members of {@link #sharedNetwork()} reach this isolate. */
  public Set<String> networkAliases() {
    return networkAliases;
  }

  /** The user the workload runs as (OS level), when the builder or the image named one. */
  public Optional<RunAs> runAs() {
    return Optional.ofNullable(runAs);
  }

  public List<HostFunction> hostFunctions() {
    return hostFunctions;
  }

  /** The values a plugin reads with the guest SDK's {@code isolate_config}; see {@link Isolate.Builder#config}. */
  public Map<String, String> config() {
    return config;
  }

  /** System calls denied on top of the level's default profile (OS level), by name. */
  public Set<String> deniedSyscalls() {
    return deniedSyscalls;
  }

  /** System calls allowed although the default profile denies them (OS level), by name. */
  public Set<String> allowedSyscalls() {
    return allowedSyscalls;
  }

  /** Host ports on 127.0.0.1 forwarded to ports inside the isolate (OS level), in the order published. */
  public List<PublishedPort> publishedPorts() {
    return publishedPorts;
  }

  /** Whether the caller accepted that some limits cannot be enforced on this host. */
  public boolean acceptUnenforcedLimits() {
    return acceptUnenforcedLimits;
  }

  /**
   * The provider settings of type {@code type} given to the builder; empty when none were (the provider then uses
   * what the system properties say).
   */
  public <T extends ProviderSettings> Optional<T> settings(Class<T> type) {
    return Optional.ofNullable(type.cast(settings.get(type)));
  }

  /** Every provider settings given to the builder. */
  public java.util.Collection<ProviderSettings> settings() {
    return settings.values();
  }

  /** The listener of lifecycle events; empty when events are off. */
  public Optional<Consumer<? super IsolateEvent>> eventListener() {
    return Optional.ofNullable(eventListener);
  }

  /** The clock for event timestamps. */
  public Clock clock() {
    return clock;
  }

  @Override
  public String toString() {
    return "IsolateSpec{" + level + ", " + workload + ", " + limits + ", network=" + network
        + (mounts.isEmpty() ? "" : ", mounts=" + mounts) + "}";
  }
}
