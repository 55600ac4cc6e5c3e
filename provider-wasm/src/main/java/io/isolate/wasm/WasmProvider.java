package io.isolate.wasm;

import io.isolate.Availability;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.isolate.spi.IsolateBackend;
import io.isolate.spi.IsolationProvider;
import java.util.Set;

/**
 * The {@link IsolationLevel#PROCESS} level: WebAssembly modules run by <a href="https://chicory.dev">Chicory</a>,
 * a WebAssembly runtime written in Java, inside this JVM. The isolation boundary is the module's linear memory
 * (a guest can address nothing else) and WASI preview 1 capabilities (a guest sees only its arguments,
 * environment, stdio and preopened directories).
 *
 * <pre>{@code
 * try (Isolate isolate = Isolate.builder()
 *         .level(IsolationLevel.PROCESS)
 *         .workload(Workload.wasm(Path.of("sha256sum.wasm")))
 *         .stdin(Input.of("hello"))
 *         .limits(Limits.builder().memory(16, SizeUnit.MEGABYTES).wallTime(Duration.ofSeconds(2)).build())
 *         .build()) {
 *   System.out.print(isolate.run().stdoutText());
 * }
 * }</pre>
 *
 * <p>What each part of the spec means here:
 * <ul>
 *   <li>memory: the maximum linear memory, in 64 KiB pages (rounded down); a module declaring more fails with
 *       MEMORY_LIMIT, and so does a guest that traps after {@code memory.grow} was refused;
 *   <li>wall time: per run, or per call; a spinning guest is stopped within a few milliseconds of it;
 *   <li>output: stdout and stderr together, shared through {@link io.isolate.spi.OutputSink};
 *   <li>cpus: a guest uses one thread, so at most one CPU; a quota below 1 cannot be enforced and is refused
 *       unless unenforced limits are accepted; pids, hostname, rootfs and network do not apply (a guest has no
 *       processes, no host name and no sockets);
 *   <li>mounts: see {@link GuestFileSystem} (live host directories, confined, read-only enforced);
 *   <li>host functions: typed WebAssembly imports ({@link io.isolate.HostFunction#of}), and bytes functions that
 *       plugins call by name ({@link io.isolate.HostFunction#ofBytes}).
 * </ul>
 *
 * <p><b>Calls.</b> {@link io.isolate.Isolate#call(String, long...)} calls an exported function with numeric
 * arguments (an i32 argument must fit in 32 bits). {@link io.isolate.Isolate#call(String, byte[])} calls a
 * handler of a plugin built with the guest SDK ({@code guest-sdk/}, the same source as at PARAVIRT): see
 * {@link Plugin} for the contract, bytes host functions ({@link io.isolate.HostFunction#ofBytes}) and the
 * configuration ({@code Isolate.Builder.config}) it reaches, and its memory rule (the SDK frees each call's memory
 * when the next begins). A module without the SDK may still take bytes calls by the raw contract: it exports its
 * memory, an allocator {@code isolate_alloc(size: i32) -> i32} (returning 0 when it has no room) and the handler
 * {@code name(ptr: i32, len: i32) -> i64}; the host calls {@code isolate_alloc(input.length)}, copies the input
 * there, calls the handler, and reads its reply from the returned {@code (replyPtr << 32) | replyLen},
 * bounds-checked against guest memory and at most the output limit long; freeing is then the module's business.
 * A module with neither has no bytes calls ({@link io.isolate.CallException}).
 * Modules are parsed and compiled once per content hash ({@link ModuleCache}).
 */
public final class WasmProvider implements IsolationProvider {
  /** A minimal module: {@code (module (func (export "_start")))}. */
  private static final byte[] PROBE_MODULE = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
      0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
      0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, // export "_start" = func 0
      0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b // code: empty body
  };

  @Override
  public IsolationLevel level() {
    return IsolationLevel.PROCESS;
  }

  @Override
  public String name() {
    return "chicory";
  }

  @Override
  public Set<Workload.Kind> workloadKinds() {
    return Set.of(Workload.Kind.WASM_MODULE);
  }

  @Override
  public Availability probe() {
    try {
      var module = com.dylibso.chicory.wasm.Parser.parse(PROBE_MODULE);
      var instance = com.dylibso.chicory.runtime.Instance.builder(module).withStart(false).build();
      instance.export("_start").apply();
      boolean compiles = ModuleCache.shared().compiles();
      return Availability.available("Chicory " + chicoryVersion() + " on Java " + Runtime.version().feature()
          + " (" + (compiles ? "runtime compiler" : "interpreter") + ")"
          + (compiles && HugeMethods.jvmSkipsHugeMethods() ? "; this JVM never JIT-compiles methods above 8,000 "
              + "bytes, so interpreters and databases run several times slower: start it with "
              + HugeMethods.JVM_FLAG : ""));
    } catch (RuntimeException | LinkageError e) {
      return Availability.unavailable("Chicory could not instantiate a minimal module: " + e);
    }
  }

  /** Chicory's version, read from its jar (Maven's pom.properties); "unknown" when it cannot be read. */
  static String chicoryVersion() {
    try (var in = com.dylibso.chicory.runtime.Instance.class.getResourceAsStream(
        "/META-INF/maven/com.dylibso.chicory/runtime/pom.properties")) {
      if (in != null) {
        java.util.Properties p = new java.util.Properties();
        p.load(in);
        return p.getProperty("version", "unknown");
      }
    } catch (java.io.IOException e) {
      // fall through
    }
    return "unknown";
  }

  @Override
  public Class<WasmSettings> settingsType() {
    return WasmSettings.class;
  }

  @Override
  public io.isolate.ProviderSettings jvmSettings() {
    return ModuleCache.JVM_SETTINGS;
  }

  @Override
  public IsolateBackend create(IsolateSpec spec) {
    WasmBackend backend = WasmBackend.create(spec, ModuleCache.shared());
    if (WasmSettings.of(spec).linkAtBuild()) {
      backend.linkNow();
    }
    return backend;
  }
}
