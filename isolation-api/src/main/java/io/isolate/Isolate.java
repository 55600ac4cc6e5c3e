package io.isolate;

import io.isolate.internal.GuestPaths;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A workload isolated at one {@link IsolationLevel}, with hard {@link Limits}.
 *
 * <pre>{@code
 * try (Isolate isolate = Isolate.builder()
 *         .level(IsolationLevel.PROCESS)
 *         .workload(Workload.wasm(Path.of("hello.wasm")))
 *         .limits(Limits.builder().memory(16, SizeUnit.MEGABYTES).wallTime(Duration.ofSeconds(2)).build())
 *         .build()) {
 *   ExitResult r = isolate.run();
 *   System.out.print(r.stdoutText());
 * }
 * }</pre>
 *
 * <p>Command-style workloads are run with {@link #run()} or {@link #start()}; function-style workloads (Wasm
 * exports, PARAVIRT guest handlers) are called repeatedly with {@link #call(String, long...)} or
 * {@link #call(String, byte[])} on the live isolate. {@link #close()} ends whatever still runs and releases
 * every host resource; it is idempotent. Isolates are safe to use from several threads.
 */
public interface Isolate extends AutoCloseable {

  /** A new builder with every default: see each setter of {@link Builder}. */
  static Builder builder() {
    return new Builder();
  }

  /** A unique id, also carried by the lifecycle events. */
  String id();

  IsolationLevel level();

  /** The spec the isolate was built from. */
  IsolateSpec spec();

  /**
   * Starts the workload and waits for its end. A limit, a trap or a failure to start is reported in the result,
   * not thrown.
   */
  default ExitResult run() {
    return start().await();
  }

  /**
   * Starts the workload and returns at once.
   *
   * @throws IllegalStateException when the isolate is closed
   */
  Execution start();

  /**
   * Calls the exported function {@code function} with numeric arguments (Wasm values as longs; floats as raw
   * bits) and returns its results. The wall-time limit applies to each call.
   *
   * @throws GuestFailureException when the guest traps or faults, or the call runs out of time or memory
   * @throws UnsupportedOperationException when the level has no numeric calls
   */
  long[] call(String function, long... args);

  /**
   * Calls the guest's handler {@code function} with {@code input} and returns its reply.
   *
   * @throws GuestFailureException when the guest fails, or does not answer within the wall-time limit
   * @throws UnsupportedOperationException when the level has no byte calls
   */
  byte[] call(String function, byte[] input);

  /**
   * The names that {@link #call(String, byte[])} and {@link #call(String, long...)} can reach: at PROCESS the
   * module's exported functions and, for a plugin built with the guest SDK, the handlers it registered; at
   * PARAVIRT the handlers the guest registered before it began to serve; none at the levels without calls. Like a
   * call, this starts the guest if it does not run yet, and waits (within the wall-time limit) until it serves.
   *
   * @throws GuestFailureException when the guest fails before it serves
   */
  java.util.Set<String> functions();

  /** Whether {@link #functions()} has {@code name}. */
  default boolean hasFunction(String name) {
    return functions().contains(Objects.requireNonNull(name, "name"));
  }

  /**
   * Runs {@code argv} inside the isolate of the running workload, as Testcontainers' {@code execInContainer}: in its
   * namespaces, cgroup and working directory, as its user, under its limits (its memory and pids count both), with
   * capabilities dropped and the same seccomp filter; waits for it (within the spec's wall time) and returns its
   * result, output captured. OS level.
   *
   * @throws IllegalStateException when no workload is running
   * @throws UnsupportedOperationException at another level
   */
  ExitResult exec(String... argv);

  /**
   * Copies the host file {@code hostFile} to {@code guestPath} inside the running workload's isolate, as its
   * workload would write it (its user, its view of the file system): the file is written beside the target and
   * renamed over it, never half-written. OS level, as Testcontainers' {@code copyFileToContainer}.
   *
   * @throws java.io.IOException saying why the copy failed (the guest path's directory does not exist, no
   *     permission...)
   * @throws IllegalStateException when no workload is running
   */
  void copyToIsolate(java.nio.file.Path hostFile, String guestPath) throws java.io.IOException;

  /**
   * Copies {@code guestPath} of the running workload's isolate, as its workload would read it, to the host file
   * {@code hostFile}, which is replaced whole or left as it was. OS level.
   *
   * @throws java.io.IOException saying why the copy failed
   * @throws IllegalStateException when no workload is running
   */
  void copyFromIsolate(String guestPath, java.nio.file.Path hostFile) throws java.io.IOException;

  /**
   * The ports this isolate publishes: its spec's, or, when the spec publishes none on a loopback network, its image's
   * ExposedPorts (OS level), each on a free host port.
   */
  java.util.List<PublishedPort> publishedPorts();

  /**
   * The host port on 127.0.0.1 that forwards to {@code guestPort} (see {@link Builder#publishPort(int)}). A port
   * chosen at start is known once the workload has been started; this waits briefly for the isolate to say it.
   *
   * @throws IllegalArgumentException when {@code guestPort} is not published
   * @throws IllegalStateException when the port is chosen at start and the workload has not been started
   */
  int mappedPort(int guestPort);

  /** Ends whatever still runs and releases every host resource. Idempotent; never throws. */
  @Override
  void close();

  /**
   * Builds an {@link Isolate} (with {@link #build()}) or an {@link IsolateSpec} (with {@link #spec()}). Setters
   * check their argument at once; rules across fields are checked by {@link #spec()}.
   */
  final class Builder {
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern SYSCALL = Pattern.compile("[a-z0-9_]{1,40}");

    IsolationLevel level;
    Workload workload;
    Rootfs rootfs = Rootfs.hostReadOnly();
    final List<Mount> mounts = new ArrayList<>();
    Limits limits = Limits.DEFAULT;
    Network network = Network.NONE;
    Input stdin = Input.none();
    Output stdout = Output.capture();
    Output stderr = Output.capture();
    final Map<String, String> env = new LinkedHashMap<>();
    String workingDir = "/";
    String hostname = "isolate";
    RunAs runAs;
    IsolateNetwork sharedNetwork;
    final Set<String> networkAliases = new LinkedHashSet<>();
    final List<HostFunction> hostFunctions = new ArrayList<>();
    final Map<String, String> config = new LinkedHashMap<>();
    final Set<String> deniedSyscalls = new LinkedHashSet<>();
    final Set<String> allowedSyscalls = new LinkedHashSet<>();
    final java.util.List<PublishedPort> publishedPorts = new java.util.ArrayList<>();
    boolean acceptUnenforcedLimits;
    Consumer<? super IsolateEvent> eventListener;
    final Map<Class<?>, ProviderSettings> settings = new LinkedHashMap<>();
    Clock clock = Clock.systemUTC();

    Builder() {}

    Builder(IsolateSpec spec) {
      level = spec.level();
      workload = spec.workload();
      rootfs = spec.rootfs();
      mounts.addAll(spec.mounts());
      limits = spec.limits();
      network = spec.network();
      stdin = spec.stdin();
      stdout = spec.stdout();
      stderr = spec.stderr();
      env.putAll(spec.env());
      workingDir = spec.workingDir();
      hostname = spec.hostname();
      runAs = spec.runAs().orElse(null);
      sharedNetwork = spec.sharedNetwork().orElse(null);
      networkAliases.addAll(spec.networkAliases());
      hostFunctions.addAll(spec.hostFunctions());
      config.putAll(spec.config());
      deniedSyscalls.addAll(spec.deniedSyscalls());
      allowedSyscalls.addAll(spec.allowedSyscalls());
      publishedPorts.addAll(spec.publishedPorts());
      acceptUnenforcedLimits = spec.acceptUnenforcedLimits();
      eventListener = spec.eventListener().orElse(null);
      spec.settings().forEach(s -> settings.put(s.getClass(), s));
      clock = spec.clock();
    }

    /** The isolation level; required. */
    public Builder level(IsolationLevel level) {
      this.level = Objects.requireNonNull(level, "level");
      return this;
    }

    /** What runs; required. */
    public Builder workload(Workload workload) {
      this.workload = Objects.requireNonNull(workload, "workload");
      return this;
    }

    /** The root file system (OS level); default {@link Rootfs#hostReadOnly()}. */
    public Builder rootfs(Rootfs rootfs) {
      this.rootfs = Objects.requireNonNull(rootfs, "rootfs");
      return this;
    }

    /** Adds a mount; default none. Two mounts may not share a guest path. */
    public Builder mount(Mount mount) {
      Objects.requireNonNull(mount, "mount");
      for (Mount m : mounts) {
        if (m.guestPath().equals(mount.guestPath())) {
          throw new InvalidSpecException("mount guest path '" + mount.guestPath() + "' is already used by " + m);
        }
      }
      mounts.add(mount);
      return this;
    }

    /** The limits; default {@link Limits#DEFAULT}. */
    public Builder limits(Limits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Joins {@code shared}, a network of isolates (OS level), with {@code aliases} by which its other members reach
     * this one: the isolate's network is the shared one instead of one of its own (as {@link Network#LOOPBACK}, but
     * shared).
     */
    public Builder network(IsolateNetwork shared, String... aliases) {
      Objects.requireNonNull(shared, "shared");
      for (String a : aliases) {
        networkAliases.add(IsolateNetwork.checkAlias(a));
      }
      this.sharedNetwork = shared;
      this.network = Network.LOOPBACK;
      return this;
    }

    /** The network; default {@link Network#NONE}. Leaves a network of isolates joined before. */
    public Builder network(Network network) {
      this.network = Objects.requireNonNull(network, "network");
      this.sharedNetwork = null;
      this.networkAliases.clear();
      return this;
    }

    /** Standard input; default {@link Input#none()}. */
    public Builder stdin(Input stdin) {
      this.stdin = Objects.requireNonNull(stdin, "stdin");
      return this;
    }

    /** Standard output; default {@link Output#capture()}. */
    public Builder stdout(Output stdout) {
      this.stdout = Objects.requireNonNull(stdout, "stdout");
      return this;
    }

    /** Standard error; default {@link Output#capture()}. */
    public Builder stderr(Output stderr) {
      this.stderr = Objects.requireNonNull(stderr, "stderr");
      return this;
    }

    /** Sets one environment variable; the default environment is empty (nothing inherited from the host). */
    public Builder env(String name, String value) {
      Objects.requireNonNull(name, "env name");
      Objects.requireNonNull(value, "env value");
      if (!ENV_NAME.matcher(name).matches()) {
        throw new InvalidSpecException("env name '" + name + "' must match [A-Za-z_][A-Za-z0-9_]*");
      }
      if (value.indexOf('\0') >= 0) {
        throw new InvalidSpecException("env value of '" + name + "' contains NUL");
      }
      env.put(name, value);
      return this;
    }

    /** Sets environment variables; see {@link #env(String, String)}. */
    public Builder env(Map<String, String> variables) {
      variables.forEach(this::env);
      return this;
    }

    /** The working directory inside the isolate; absolute; default {@code /}. */
    public Builder workingDir(String dir) {
      this.workingDir = GuestPaths.check("workingDir", dir);
      return this;
    }

    /**
     * Runs the workload as {@code uid}:{@code gid} of its user namespace (OS level); by default as the image's
     * {@code User}, else as root of the namespace. Under a JVM running as root, ids 1 to 65535 of the namespace are
     * unprivileged ids of the host; under another user, the chosen ids are the only ones the namespace has (the
     * JVM's own outside), and root of the namespace does not exist then.
     */
    public Builder user(int uid, int gid) {
      this.runAs = new RunAs(uid, gid);
      return this;
    }

    /** The host name inside the isolate (OS level); default {@code isolate}. */
    public Builder hostname(String hostname) {
      Objects.requireNonNull(hostname, "hostname");
      if (!HOSTNAME.matcher(hostname).matches()) {
        throw new InvalidSpecException("hostname '" + hostname + "' must be 1 to 63 letters, digits or '-'");
      }
      this.hostname = hostname;
      return this;
    }

    /**
     * Sets one configuration value that a plugin reads with the guest SDK's {@code isolate_config(key)} (levels
     * PROCESS and PARAVIRT, which serve calls); default none. The key is 1 to 255 bytes of UTF-8, and neither holds
     * NUL; the value is at most 64 KiB. Unlike {@link #env(String, String)}, a value is read only when the plugin
     * asks for its key.
     */
    public Builder config(String key, String value) {
      Objects.requireNonNull(key, "config key");
      Objects.requireNonNull(value, "config value");
      int keyBytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (keyBytes == 0 || keyBytes > 255 || key.indexOf('\0') >= 0) {
        throw new InvalidSpecException("config key '" + key + "' must be 1 to 255 bytes without NUL");
      }
      if (value.indexOf('\0') >= 0) {
        throw new InvalidSpecException("config value of '" + key + "' contains NUL");
      }
      if (value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_CONFIG_VALUE_BYTES) {
        throw new InvalidSpecException("config value of '" + key + "' is longer than 64 KiB");
      }
      config.put(key, value);
      return this;
    }

    /** Sets configuration values; see {@link #config(String, String)}. */
    public Builder config(Map<String, String> values) {
      values.forEach(this::config);
      return this;
    }

    private static final int MAX_CONFIG_VALUE_BYTES = 64 << 10;

    /**
     * Exposes a host function to the guest (levels PROCESS and PARAVIRT); default none. Names beginning with
     * {@code isolate.} (bytes functions) and the import module {@code isolate} (typed functions) belong to the
     * guest SDK.
     */
    public Builder hostFunction(HostFunction function) {
      Objects.requireNonNull(function, "hostFunction");
      for (HostFunction f : hostFunctions) {
        if (f.module().equals(function.module()) && f.name().equals(function.name())) {
          throw new InvalidSpecException("host function " + function.module() + "." + function.name()
              + " is already defined");
        }
      }
      hostFunctions.add(function);
      return this;
    }

    /**
     * Forwards TCP port {@code hostPort} on the host's 127.0.0.1 to {@code guestPort} inside the isolate (OS level
     * with {@link Network#LOOPBACK}); default none. Only the host's loopback interface listens, and it accepts
     * connections only once the guest listens on its port (a connection before that is refused, as it would be
     * without an isolate), so that a client or a wait that connects sees the guest's readiness. {@code hostPort} 0
     * takes a free port when the isolate starts; {@link Isolate#mappedPort(int)} tells which.
     */
    public Builder publishPort(int hostPort, int guestPort) {
      PublishedPort port = new PublishedPort(hostPort, guestPort);
      for (PublishedPort p : publishedPorts) {
        if (hostPort != 0 && p.hostPort() == hostPort) {
          throw new InvalidSpecException("host port " + hostPort + " is already published (to guest port "
              + p.guestPort() + ")");
        }
        if (p.guestPort() == guestPort) {
          throw new InvalidSpecException("guest port " + guestPort + " is already published (on host port "
              + (p.isRandom() ? "any" : p.hostPort()) + ")");
        }
      }
      publishedPorts.add(port);
      return this;
    }

    /**
     * Forwards a free TCP port on the host's 127.0.0.1, chosen when the isolate starts, to {@code guestPort}: as
     * Testcontainers' exposed ports, for tests that run in parallel. {@link Isolate#mappedPort(int)} tells which.
     */
    public Builder publishPort(int guestPort) {
      return publishPort(0, guestPort);
    }

    /** Denies system calls on top of the default profile (OS level). */
    public Builder denySyscalls(String... names) {
      for (String n : names) {
        deniedSyscalls.add(checkSyscall(n));
      }
      return this;
    }

    /** Allows system calls the default profile denies (OS level). Weakens isolation: allow knowingly. */
    public Builder allowSyscalls(String... names) {
      for (String n : names) {
        allowedSyscalls.add(checkSyscall(n));
      }
      return this;
    }

    private static String checkSyscall(String name) {
      Objects.requireNonNull(name, "syscall name");
      if (!SYSCALL.matcher(name).matches()) {
        throw new InvalidSpecException("syscall name '" + name + "' must be a Linux system call name like 'ptrace'");
      }
      return name;
    }

    /**
     * Lets {@link #build()} succeed on a host where some limits cannot be enforced (for example no cgroup
     * delegation); default false, in which case such a host makes {@code build()} fail.
     */
    public Builder acceptUnenforcedLimits(boolean accept) {
      this.acceptUnenforcedLimits = accept;
      return this;
    }

    /**
     * Settings of this isolate's provider ({@code WasmSettings}, {@code ContainerSettings}, ...), replacing earlier
     * ones of the same type; default what the system properties say. See {@link ProviderSettings} for which are
     * honoured per isolate and which must equal the JVM's.
     */
    public Builder settings(ProviderSettings providerSettings) {
      Objects.requireNonNull(providerSettings, "providerSettings");
      settings.put(providerSettings.getClass(), providerSettings);
      return this;
    }

    /**
     * Sends this isolate's lifecycle events to {@code listener}; default none. The listener is called on the
     * thread that changes the isolate's state, in the order of {@link IsolateEvent.Type}, so it must return quickly
     * (hand slow work to an executor); what it throws is logged and otherwise ignored. To publish on a Vert.x event
     * bus, pass {@code VertxEvents.publisher(vertx)} from the {@code isolation-vertx} module.
     */
    public Builder events(Consumer<? super IsolateEvent> listener) {
      this.eventListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** The clock for event timestamps; default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Validates the combination of settings and returns the immutable spec. */
    public IsolateSpec spec() {
      if (level == null) {
        throw new InvalidSpecException("level is not set: choose HARDWARE, PARAVIRT, OS or PROCESS");
      }
      if (workload == null) {
        throw new InvalidSpecException("workload is not set");
      }
      if (rootfs.kind() != Rootfs.Kind.HOST_READ_ONLY && level != IsolationLevel.OS) {
        throw new InvalidSpecException("rootfs (" + rootfs + ") applies only to level OS, not " + level);
      }
      if (sharedNetwork != null && level != IsolationLevel.OS) {
        throw new InvalidSpecException("a network of isolates applies only to level OS, not " + level);
      }
      if (runAs != null && level != IsolationLevel.OS) {
        throw new InvalidSpecException("user " + runAs + " applies only to level OS, not " + level);
      }
      boolean servesCalls = level == IsolationLevel.PROCESS || level == IsolationLevel.PARAVIRT;
      if (!hostFunctions.isEmpty() && !servesCalls) {
        throw new InvalidSpecException("host functions (" + hostFunctions.size() + ") apply only to levels PROCESS "
            + "and PARAVIRT, whose guests call the host; not " + level);
      }
      if (!config.isEmpty() && !servesCalls) {
        throw new InvalidSpecException("config " + config.keySet() + " is read by plugins through the guest SDK, at "
            + "levels PROCESS and PARAVIRT; at " + level + " pass environment variables with env(name, value)");
      }
      if (network != Network.NONE && level != IsolationLevel.OS) {
        throw new InvalidSpecException("network " + network + " is only available at level OS; " + level
            + " isolates have no network");
      }
      if (!publishedPorts.isEmpty() && (level != IsolationLevel.OS || network != Network.LOOPBACK)) {
        throw new InvalidSpecException("published ports " + publishedPorts + " need level OS with network LOOPBACK, "
            + "not " + level + " with " + network);
      }
      return new IsolateSpec(this);
    }

    /**
     * Validates, finds the provider of the level and creates the isolate.
     *
     * @throws InvalidSpecException when the spec is wrong
     * @throws LevelUnavailableException when the level cannot be provided here, or not for this workload
     * @throws StartFailedException when the provider could not set the isolate up
     */
    public Isolate build() {
      return Isolates.create(spec());
    }
  }
}
