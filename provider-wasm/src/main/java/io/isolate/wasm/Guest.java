package io.isolate.wasm;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import io.isolate.HostFunction;
import io.isolate.IsolateSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One instance of a module with everything it is linked to: its WASI (arguments, environment, stdio,
 * preopens), the application's host functions and its capped memory. Built on the thread that will run it.
 *
 * <p>This is exactly the raw Chicory sequence, plus our wrappers: {@code WasiOptions.builder()...build()},
 * {@code WasiPreview1.builder().withOptions(options).build()}, {@code ImportValues.builder().addFunction(...)},
 * {@code Instance.builder(module).withImportValues(...).withMachineFactory(cachedFactory)
 * .withMemoryFactory(...).withStart(false).build()}, then {@code instance.export("_start").apply()}.
 */
final class Guest implements AutoCloseable {
  private final GuestFileSystem fs;
  private final WasiPreview1 wasi;
  private final WasiImports wasiImports;
  private final Plugin plugin;
  private volatile LimitedMemory memory;
  private Instance instance;

  private Guest(GuestFileSystem fs, WasiPreview1 wasi, WasiImports wasiImports, Plugin plugin) {
    this.fs = fs;
    this.wasi = wasi;
    this.wasiImports = wasiImports;
    this.plugin = plugin;
  }

  /** Sets up the file systems and WASI; nothing of the module runs yet. */
  static Guest prepare(LoadedModule module, IsolateSpec spec, InputStream stdin, OutputStream stdout,
      OutputStream stderr) throws IOException {
    Plugin plugin = Plugin.isPlugin(module.module()) || Imports.usesSdk(module.module())
        ? new Plugin(bytesFunctions(spec.hostFunctions()), spec.config(), stderr)
        : null;
    if (!Imports.usesWasi(module.module())) {
      return new Guest(null, null, null, plugin);
    }
    // the cap is read only for a run that has mounts: a run without them pays no property reads
    GuestFileSystem fs = GuestFileSystem.create(spec.mounts(),
        spec.mounts().isEmpty() ? 0 : WasmSettings.of(spec).maxMountBytes());
    List<String> args = new ArrayList<>(spec.workload().args().size() + 1);
    args.add(spec.workload().name());
    args.addAll(spec.workload().args());
    WasiOptions.Builder options = WasiOptions.builder()
        .withArguments(args)
        .withStdin(stdin)
        .withStdout(stdout)
        .withStderr(stderr);
    for (Map.Entry<String, String> e : spec.env().entrySet()) {
      options.withEnvironment(e.getKey(), e.getValue());
    }
    for (GuestFileSystem.Preopen p : fs.preopens()) {
      options.withDirectory(p.guestPath, p.root);
    }
    WasiPreview1 wasi = WasiPreview1.builder().withOptions(options.build()).build();
    return new Guest(fs, wasi, new WasiImports(fs.preopens()), plugin);
  }

  private static Map<String, UnaryOperator<byte[]>> bytesFunctions(List<HostFunction> functions) {
    Map<String, UnaryOperator<byte[]>> bytes = new HashMap<>();
    for (HostFunction f : functions) {
      if (f.isBytes()) {
        bytes.put(f.name(), f.bytesImplementation());
      }
    }
    return bytes;
  }

  /** Instantiates the module (its data segments and start section run; {@code _start} does not). */
  Instance instantiate(LoadedModule module, List<HostFunction> hostFunctions, int memoryLimitPages) {
    ImportValues.Builder imports = ImportValues.builder();
    if (wasi != null) {
      imports.addFunction(wasiImports.functions(wasi));
    }
    for (HostFunction f : hostFunctions) {
      if (!f.isBytes()) { // bytes functions are reached through the plugin's host_call
        imports.addFunction(HostFunctions.adapt(f));
      }
    }
    if (plugin != null) {
      plugin.imports().forEach(imports::addFunction);
    }
    instance = Instance.builder(module.module())
        .withImportValues(imports.build())
        .withMachineFactory(module.machineFactory())
        .withMemoryFactory(limits -> {
          LimitedMemory m = LimitedMemory.create(limits, memoryLimitPages);
          memory = m;
          return m;
        })
        .withTableFactory((table, initialRef) -> limitedTable(table, initialRef, memoryLimitPages))
        .withStart(false)
        .build();
    return instance;
  }

  /**
   * Tables live on the JVM heap (about 12 bytes per element), so they count against the memory limit too: at
   * most one element per {@value #BYTES_PER_TABLE_ELEMENT} bytes of the limit in each table, for its declared
   * minimum and its growth alike. Without this, {@code table.grow} could exhaust the JVM's heap.
   */
  static TableInstance limitedTable(Table table, int initialRef, int memoryLimitPages) {
    long cap = (long) memoryLimitPages * Memory.PAGE_SIZE / BYTES_PER_TABLE_ELEMENT;
    TableLimits declared = table.limits();
    if (declared.min() > cap) {
      throw new LimitedMemory.MemoryLimitException("the module declares a table of at least " + declared.min()
          + " elements; the memory limit allows " + cap + " (" + BYTES_PER_TABLE_ELEMENT + " bytes each)");
    }
    TableLimits capped = new TableLimits(declared.min(), Math.min(declared.max(), cap), declared.shared());
    return new GrowableTable(new Table(table.elementType(), capped, table.initialize()), initialRef);
  }

  /**
   * A table whose {@code table.grow} answers -1 for every delta it cannot honour, as WebAssembly says. Chicory
   * 1.7.5 adds the delta to the size as Java ints: a delta such as 0x7FFFFFFF overflows to a negative size, which
   * passes its limit check and then fails with NegativeArraySizeException, an "internal error" trap. The delta is
   * an unsigned 32-bit number (Chicory already refuses those above 2^31 - 1, negative as ints); here the sum is
   * checked in 64 bits before Chicory sees it. Both of Chicory's engines grow tables through this method.
   */
  static final class GrowableTable extends TableInstance {
    GrowableTable(Table table, int initialRef) {
      super(table, initialRef);
    }

    @Override
    public int grow(int size, int value, Instance instance) {
      if ((size & 0xffffffffL) + size() > limits().max()) {
        return -1;
      }
      return super.grow(size, value, instance);
    }
  }

  static final int BYTES_PER_TABLE_ELEMENT = 16;

  Instance instance() {
    return instance;
  }

  /** The guest SDK's side of the host, or null when the module was not built with the SDK. */
  Plugin plugin() {
    return plugin;
  }

  /** The guest's memory, null until created (or when the module has none). */
  LimitedMemory memory() {
    return memory;
  }

  long peakMemoryBytes() {
    LimitedMemory m = memory;
    return m == null ? 0 : m.sizeBytes();
  }

  Map<String, Long> unsupportedCalls() {
    return wasiImports == null ? Map.of() : wasiImports.unsupportedCalls();
  }

  @Override
  public void close() {
    if (wasi != null) {
      wasi.close();
    }
    if (fs != null) {
      fs.close();
    }
  }
}
