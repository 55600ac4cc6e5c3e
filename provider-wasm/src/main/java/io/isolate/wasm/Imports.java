package io.isolate.wasm;

import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ValType;
import io.isolate.HostFunction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Checks, before anything runs, that the host provides every import of a module: WASI preview 1 functions and
 * the application's {@link HostFunction}s, with matching types. A module that needs anything else fails to start
 * with every missing import named, instead of Chicory's first-failure message at instantiation.
 */
final class Imports {
  /** The WASI functions Chicory provides, by name, with their types. */
  private static final Map<String, FunctionType> WASI = wasiTypes();

  private Imports() {}

  private static Map<String, FunctionType> wasiTypes() {
    Map<String, FunctionType> types = new HashMap<>();
    try (WasiPreview1 wasi = WasiPreview1.builder().build()) {
      for (var f : wasi.toHostFunctions()) {
        types.put(f.name(), f.functionType());
      }
    }
    return Map.copyOf(types);
  }

  /** Whether the module imports anything from WASI (and so needs a {@link WasiPreview1}). */
  static boolean usesWasi(WasmModule module) {
    return module.importSection().stream().anyMatch(i -> i.module().equals(WasiImports.MODULE));
  }

  /** Whether the module imports the guest SDK's host functions (module {@value Plugin#MODULE}). */
  static boolean usesSdk(WasmModule module) {
    return module.importSection().stream().anyMatch(i -> i.module().equals(Plugin.MODULE));
  }

  /**
   * Every import of {@code module} that the host does not provide, described for a human; empty when the
   * module links.
   */
  static List<String> missing(WasmModule module, List<HostFunction> hostFunctions) {
    Map<String, HostFunction> byName = new HashMap<>();
    for (HostFunction f : hostFunctions) {
      if (!f.isBytes()) {
        byName.put(f.module() + "." + f.name(), f);
      }
    }
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < module.importSection().importCount(); i++) {
      Import imp = module.importSection().getImport(i);
      String name = imp.module() + "." + imp.name();
      if (imp.importType() != ExternalType.FUNCTION) {
        problems.add("module imports " + name + " (" + imp.importType().name().toLowerCase(Locale.ROOT)
            + ") which the host does not provide: PROCESS isolates provide functions only");
        continue;
      }
      FunctionType wanted = module.typeSection().getType(((FunctionImport) imp).typeIndex());
      FunctionType provided;
      if (imp.module().equals(WasiImports.MODULE)) {
        provided = WASI.get(imp.name());
        if (provided == null) {
          problems.add("module imports " + name + " " + describe(wanted)
              + " which the host does not provide: it is not a WASI preview 1 function");
          continue;
        }
      } else if (imp.module().equals(Plugin.MODULE)) {
        provided = Plugin.IMPORTS.get(imp.name());
        if (provided == null) {
          problems.add("module imports " + name + " " + describe(wanted) + " which the host does not provide: the "
              + "guest SDK's host functions are " + String.join(", ", new java.util.TreeSet<>(Plugin.IMPORTS.keySet())));
          continue;
        }
      } else {
        HostFunction f = byName.get(name);
        if (f == null) {
          problems.add("module imports " + name + " " + describe(wanted)
              + " which the host does not provide: add it with Isolate.Builder.hostFunction");
          continue;
        }
        provided = HostFunctions.typeOf(f);
      }
      if (!provided.typesMatch(wanted)) {
        problems.add("module imports " + name + " " + describe(wanted) + " but the host provides it as "
            + describe(provided));
      }
    }
    return problems;
  }

  static String describe(FunctionType type) {
    return "(func (" + names(type.params()) + ") -> (" + names(type.returns()) + "))";
  }

  private static String names(List<ValType> types) {
    return types.stream().map(t -> t.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
  }
}
