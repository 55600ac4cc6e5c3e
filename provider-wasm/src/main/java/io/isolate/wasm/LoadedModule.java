package io.isolate.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.function.Function;

/**
 * A parsed, validated module with the machine factory that runs it: what {@link ModuleCache} keeps per content
 * hash. The factory is stateless and shared by every instance of the module.
 */
final class LoadedModule {
  /** How the module's functions run. */
  enum Engine {
    /** Every function compiled to JVM bytecode by Chicory's runtime compiler. */
    COMPILED,
    /** Compiled, except the functions too large for a JVM method, which Chicory interprets (see the note). */
    MIXED,
    /** Chicory's interpreter, because it was asked for or because compilation failed (see the note). */
    INTERPRETED
  }

  private final String sha256;
  private final WasmModule module;
  private final Function<Instance, Machine> machineFactory;
  private final Engine engine;
  private final String engineNote;
  private final int sizeBytes;

  LoadedModule(String sha256, WasmModule module, Function<Instance, Machine> machineFactory, Engine engine,
      String engineNote, int sizeBytes) {
    this.sha256 = sha256;
    this.module = module;
    this.machineFactory = machineFactory;
    this.engine = engine;
    this.engineNote = engineNote;
    this.sizeBytes = sizeBytes;
  }

  String sha256() {
    return sha256;
  }

  WasmModule module() {
    return module;
  }

  Function<Instance, Machine> machineFactory() {
    return machineFactory;
  }

  Engine engine() {
    return engine;
  }

  /** Why the module is interpreted when it is; empty otherwise. */
  String engineNote() {
    return engineNote;
  }

  int sizeBytes() {
    return sizeBytes;
  }

  @Override
  public String toString() {
    return "module " + sha256.substring(0, 12) + " (" + sizeBytes + " B, " + engine
        + (engineNote.isEmpty() ? "" : ": " + engineNote) + ")";
  }
}
