package io.isolate;

import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A function of the embedding application that a guest may call. Nothing else of the host is reachable from the
 * guest through calls.
 *
 * <p>Two shapes exist. {@link #of} declares a WebAssembly import with typed parameters and results, for the
 * PROCESS level: the implementation gets the arguments and a view of the guest's memory, every access of which
 * is bounds-checked. {@link #ofBytes} declares a bytes-in, bytes-out function that a plugin built with the guest
 * SDK calls by name with {@code isolate_host_call}, at PROCESS and PARAVIRT alike.
 *
 * <pre>{@code
 * HostFunction log = HostFunction.of("env", "log", List.of(ValueType.I32, ValueType.I32), List.of(),
 *     (memory, args) -> {
 *       System.out.println(memory.readString(args[0], (int) args[1]));
 *       return new long[0];
 *     });
 * }</pre>
 */
public final class HostFunction {
  /** WebAssembly value types; values travel as longs (floats as their raw bits). */
  public enum ValueType {
    I32,
    I64,
    F32,
    F64
  }

  /** The guest memory seen by a host function. Out-of-bounds accesses throw {@link GuestFailureException}. */
  public interface Memory {
    byte[] read(long address, int length);

    void write(long address, byte[] bytes);

    /** Reads {@code length} bytes at {@code address} as UTF-8. */
    String readString(long address, int length);

    /** The memory's current size in bytes. */
    long size();

    /**
     * Allocates {@code length} bytes of call memory in a plugin built with the guest SDK and returns their address:
     * how a typed host function hands bytes or a string back (write them there, return the address and length).
     * The memory belongs to the SDK and is freed with the call, like the plugin's own {@code isolate_alloc}.
     *
     * @throws GuestFailureException with {@link Termination#TRAP} when the module was not built with the guest SDK,
     *     or {@link Termination#MEMORY_LIMIT} when the plugin has no room
     */
    default long allocate(int length) {
      throw new GuestFailureException(Termination.TRAP, "this guest memory cannot allocate");
    }

    /** Allocates call memory holding {@code bytes} (see {@link #allocate(int)}) and returns its address. */
    default long allocate(byte[] bytes) {
      long address = allocate(bytes.length);
      write(address, bytes);
      return address;
    }

    /** Allocates call memory holding {@code text} as UTF-8 (see {@link #allocate(int)}) and returns its address. */
    default long allocate(String text) {
      return allocate(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** The body of a typed host function. An exception thrown here traps the guest with its message. */
  @FunctionalInterface
  public interface Implementation {
    long[] apply(Memory memory, long[] args);
  }

  /** The import module of the guest SDK's own functions at PROCESS, which applications cannot declare. */
  public static final String SDK_MODULE = "isolate";
  /** The prefix of the guest SDK's own bytes functions (such as its configuration), reserved likewise. */
  public static final String SDK_PREFIX = "isolate.";

  private final String module;
  private final String name;
  private final List<ValueType> params;
  private final List<ValueType> results;
  private final Implementation implementation;
  private final UnaryOperator<byte[]> bytesImplementation;

  private HostFunction(String module, String name, List<ValueType> params, List<ValueType> results,
      Implementation implementation, UnaryOperator<byte[]> bytesImplementation) {
    this.module = module;
    this.name = name;
    this.params = List.copyOf(params);
    this.results = List.copyOf(results);
    this.implementation = implementation;
    this.bytesImplementation = bytesImplementation;
  }

  /** A typed function imported by the guest as {@code module.name}. */
  public static HostFunction of(String module, String name, List<ValueType> params, List<ValueType> results,
      Implementation implementation) {
    checkName("module", module);
    checkName("name", name);
    if (module.equals(SDK_MODULE)) {
      throw new InvalidSpecException("host function module '" + SDK_MODULE + "' belongs to the guest SDK; "
          + "choose another import module, or declare a bytes function with ofBytes(name, body)");
    }
    Objects.requireNonNull(params, "params");
    Objects.requireNonNull(results, "results");
    Objects.requireNonNull(implementation, "implementation");
    return new HostFunction(module, name, params, results, implementation, null);
  }

  /** A bytes-in, bytes-out function the guest calls by {@code name}. */
  public static HostFunction ofBytes(String name, UnaryOperator<byte[]> implementation) {
    checkName("name", name);
    if (name.startsWith(SDK_PREFIX)) {
      throw new InvalidSpecException("host function name '" + name + "' begins with '" + SDK_PREFIX
          + "', which the guest SDK reserves for its own functions");
    }
    Objects.requireNonNull(implementation, "implementation");
    return new HostFunction("", name, List.of(), List.of(), null, implementation);
  }

  private static void checkName(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.length() > 255 || value.indexOf('\0') >= 0) {
      throw new InvalidSpecException("host function " + what + " '" + value + "' must be 1 to 255 characters without NUL");
    }
  }

  /** The import module ({@code ""} for bytes functions). */
  public String module() {
    return module;
  }

  public String name() {
    return name;
  }

  public List<ValueType> params() {
    return params;
  }

  public List<ValueType> results() {
    return results;
  }

  /** True for functions made with {@link #ofBytes}. */
  public boolean isBytes() {
    return bytesImplementation != null;
  }

  /** The typed body; null for bytes functions. */
  public Implementation implementation() {
    return implementation;
  }

  /** The bytes body; null for typed functions. */
  public UnaryOperator<byte[]> bytesImplementation() {
    return bytesImplementation;
  }

  @Override
  public String toString() {
    return isBytes() ? name + "(bytes) -> bytes" : module + "." + name + params + " -> " + results;
  }
}
