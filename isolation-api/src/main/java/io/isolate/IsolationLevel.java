package io.isolate;

/**
 * Who provides the isolation boundary, from the strongest to the lightest.
 *
 * <p>Each level is implemented by a provider module found on the class path with
 * {@link java.util.ServiceLoader}. A level whose provider is missing or whose host prerequisites are not met
 * makes {@link Isolate.Builder#build()} fail with the reason; there is never a silent fallback to another level.
 */
public enum IsolationLevel {
  /** A micro-VM on KVM running an unmodified static program; every privileged operation traps to the host. */
  HARDWARE,
  /** The same VMM with a guest written to cooperate: hypercalls and virtio queues in shared memory. */
  PARAVIRT,
  /** Linux namespaces, cgroups and seccomp around an ordinary process. */
  OS,
  /** A WebAssembly sandbox inside the JVM (Chicory, WASI preview 1). */
  PROCESS;

  /** Parses a level name case-insensitively ({@code "os"}, {@code "Process"}), naming the accepted values on failure. */
  public static IsolationLevel parse(String name) {
    for (IsolationLevel level : values()) {
      if (level.name().equalsIgnoreCase(name.trim())) {
        return level;
      }
    }
    throw new InvalidSpecException(
        "level '" + name + "' is not one of hardware, paravirt, os, process");
  }
}
