package io.isolate.wasm;

import com.dylibso.chicory.wasm.WasmModule;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * HotSpot's limit on what it JIT-compiles, and the modules it hurts. By default ({@code -XX:+DontCompileHugeMethods})
 * HotSpot never compiles a method of more than 8,000 bytes of bytecode: such a method runs in the JVM's bytecode
 * interpreter for as long as the JVM lives. Chicory compiles each WebAssembly function to one JVM method, at about
 * 2.5 bytes of bytecode per WebAssembly instruction, and the function that matters most in an interpreter or a
 * database (Lua's {@code luaV_execute}: 9,390 instructions, a 23,707-byte method; SQLite's
 * {@code sqlite3VdbeExec}) is far above the limit. Measured on this project's machine, Lua 5.4 running fib(30) and a
 * table loop on raw Chicory: 5.4 s with the JVM's default, 0.70 s with {@code -XX:-DontCompileHugeMethods}
 * (natively 0.067 s). The flag cannot be changed in a running JVM, so a module with such functions is named in a
 * WARNING when it loads into a JVM without it (the first such module; later ones at DEBUG); the {@code isolate}
 * command starts its JVM with it.
 */
final class HugeMethods {
  /** The flag that lets HotSpot compile methods of any size. */
  static final String JVM_FLAG = "-XX:-DontCompileHugeMethods";
  /** WebAssembly instructions in one function above which its method passes HotSpot's 8,000-byte limit. */
  static final int INSTRUCTIONS_OVER_LIMIT = 3_000;

  private static final boolean SKIPPED = skipsHugeMethods(ManagementFactory.getRuntimeMXBean().getInputArguments());

  private static final java.util.concurrent.atomic.AtomicBoolean WARNED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private HugeMethods() {}

  /** True the first time it is asked in this JVM: the warning is said once, later modules at DEBUG. */
  static boolean firstWarning() {
    return WARNED.compareAndSet(false, true);
  }

  /** Whether this JVM leaves huge methods to its bytecode interpreter (the last flag given wins; on by default). */
  static boolean jvmSkipsHugeMethods() {
    return SKIPPED;
  }

  static boolean skipsHugeMethods(List<String> jvmArguments) {
    boolean skips = true;
    for (String a : jvmArguments) {
      if (a.equals("-XX:-DontCompileHugeMethods")) {
        skips = false;
      } else if (a.equals("-XX:+DontCompileHugeMethods")) {
        skips = true;
      }
    }
    return skips;
  }

  /** How many of the module's functions compile to methods HotSpot will not compile (by their size). */
  static int countHuge(WasmModule module) {
    int huge = 0;
    var code = module.codeSection();
    for (int i = 0; i < code.functionBodyCount(); i++) {
      if (code.getFunctionBody(i).instructions().size() > INSTRUCTIONS_OVER_LIMIT) {
        huge++;
      }
    }
    return huge;
  }

  /** The warning for a module with {@code huge} such functions, or null when this JVM compiles them anyway. */
  static String warning(String module, int huge) {
    if (huge == 0 || !SKIPPED) {
      return null;
    }
    return "module " + module + " has " + huge + " function" + (huge == 1 ? "" : "s") + " of more than "
        + INSTRUCTIONS_OVER_LIMIT + " instructions, which this JVM will never JIT-compile (HotSpot's 8,000-byte "
        + "method limit): they run in its bytecode interpreter, for an interpreter or a database several times "
        + "slower than they could. Start the JVM with " + JVM_FLAG;
  }
}
