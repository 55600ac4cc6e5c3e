package io.isolate.wasm;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.isolate.CallException;
import io.isolate.GuestFailureException;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.spi.GuestSdk;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A plugin built with the guest SDK ({@code guest-sdk/wasm/plugin.c}), as the host sees it: the imports the SDK
 * calls (module {@value #MODULE}) and the bytes calls through its exports. This class is the one place where the
 * numbers such a guest hands over (addresses, lengths, names, its result record) are checked; nothing the guest
 * says is trusted beyond a bounds check against its memory.
 *
 * <p>A call: {@code isolate_call_buffer(nameLen + inputLen)} frees the previous call's memory and returns room for
 * the name and the input, which the host writes there; {@code isolate_dispatch(nameLen, inputLen)} runs the
 * handler and returns the address of a record {@code {u32 status, u32 reply, u32 replyLen}}; the host copies the
 * reply out. The SDK frees all of it when the next call begins, so guest memory stays as large as its largest call.
 *
 * <p>One instance per guest instance; used under {@link LiveInstance}'s lock, on the calling thread.
 */
final class Plugin {
  static final String MODULE = "isolate";
  /** Major 1, minor 0; a plugin of another major version is refused. */
  static final int ABI_VERSION = 0x0001_0000;
  static final String ABI_EXPORT = "isolate_sdk_abi";
  static final String START = "isolate_start";
  static final String CALL_BUFFER = "isolate_call_buffer";
  static final String DISPATCH = "isolate_dispatch";
  /** The SDK's call-memory allocator, which typed host functions reach through {@code HostFunction.Memory}. */
  static final String ALLOC = "isolate_alloc";

  static final int OK = 0;
  static final int NO_SUCH_FUNCTION = 1;
  static final int FAILED = 2;
  static final int TOO_LARGE = 3;
  static final int BAD_REQUEST = 4;
  private static final String[] STATUS_NAMES = {"OK", "NO_SUCH_FUNCTION", "FAILED", "TOO_LARGE", "BAD_REQUEST"};

  static final int MAX_NAME = GuestSdk.MAX_NAME_BYTES;
  static final int MAX_HANDLERS = GuestSdk.MAX_HANDLERS;
  static final int MAX_LOG = 4096;
  private static final String[] LEVELS = {"DEBUG", "INFO", "WARN", "ERROR"};

  private static final FunctionType I32_TO_I32 = FunctionType.of(List.of(ValType.I32), List.of(ValType.I32));
  private static final FunctionType TO_I32 = FunctionType.of(List.of(), List.of(ValType.I32));
  private static final FunctionType DISPATCH_TYPE =
      FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));

  /** The imports of module {@value #MODULE}, with their types: what {@link Imports} checks a module against. */
  static final Map<String, FunctionType> IMPORTS = Map.of(
      "serve", FunctionType.of(List.of(ValType.I32, ValType.I32), List.of()),
      "host_call", FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I64)),
      "host_reply", FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32)),
      "log", FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of()));

  private final Map<String, UnaryOperator<byte[]>> hostFunctions;
  private final OutputStream log;
  private final Set<String> handlers = new LinkedHashSet<>();
  private boolean serving;
  /** The reply of the last host call, until the guest copies it with host_reply. */
  private byte[] pendingReply;

  /**
   * @param hostFunctions the application's bytes functions by name ({@link GuestSdk#CONFIG} is added)
   * @param config the application's configuration
   * @param log where the guest's log lines go (the isolate's stderr)
   */
  Plugin(Map<String, UnaryOperator<byte[]>> hostFunctions, Map<String, String> config, OutputStream log) {
    java.util.HashMap<String, UnaryOperator<byte[]>> all = new java.util.HashMap<>(hostFunctions);
    all.put(GuestSdk.CONFIG, GuestSdk.configFunction(config));
    this.hostFunctions = all;
    this.log = log;
  }

  /** Whether {@code module} was built with the guest SDK (it exports {@value #ABI_EXPORT}). */
  static boolean isPlugin(WasmModule module) {
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      if (exports.getExport(i).name().equals(ABI_EXPORT)
          && exports.getExport(i).exportType() == ExternalType.FUNCTION) {
        return true;
      }
    }
    return false;
  }

  /** The Chicory imports of module {@value #MODULE}. */
  List<HostFunction> imports() {
    return List.of(
        new HostFunction(MODULE, "serve", IMPORTS.get("serve"), (instance, args) -> {
          serve(memory(instance), u32(args[0]), u32(args[1]));
          return null;
        }),
        new HostFunction(MODULE, "host_call", IMPORTS.get("host_call"),
            (instance, args) -> new long[] {hostCall(memory(instance), u32(args[0]), u32(args[1]), u32(args[2]), u32(args[3]))}),
        new HostFunction(MODULE, "host_reply", IMPORTS.get("host_reply"),
            (instance, args) -> new long[] {hostReply(memory(instance), u32(args[0]), u32(args[1]))}),
        new HostFunction(MODULE, "log", IMPORTS.get("log"), (instance, args) -> {
          log(memory(instance), (int) args[0], u32(args[1]), u32(args[2]));
          return null;
        }));
  }

  /** Checks the SDK's version and runs the plugin's main, which must reach {@code isolate_serve}. */
  void start(Instance instance) {
    requireType(instance, ABI_EXPORT, TO_I32);
    requireType(instance, START, TO_I32);
    requireType(instance, CALL_BUFFER, I32_TO_I32);
    requireType(instance, DISPATCH, DISPATCH_TYPE);
    int version = (int) instance.export(ABI_EXPORT).apply()[0];
    if (version >>> 16 != ABI_VERSION >>> 16) {
      throw new HostFunctions.HostFunctionFailure("the plugin was built with guest SDK ABI " + Integer.toHexString(
          version) + ", which this host does not speak (it speaks " + Integer.toHexString(ABI_VERSION) + ")");
    }
    int rc = (int) instance.export(START).apply()[0];
    if (!serving) {
      throw new HostFunctions.HostFunctionFailure("the plugin's main returned " + rc
          + " without calling isolate_serve()");
    }
    if (rc != 0) {
      throw new HostFunctions.HostFunctionFailure("the plugin's main returned " + rc + " after isolate_serve()");
    }
  }

  /** The handlers the plugin registered before it began to serve. */
  Set<String> handlers() {
    return Set.copyOf(handlers);
  }

  /**
   * One bytes call: the name and input into SDK memory, the dispatch, the reply out. The caller runs this under
   * the wall-time limit and turns traps into {@link GuestFailureException}s.
   */
  byte[] call(Instance instance, String name, byte[] input, long maxReply) {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    long total = (long) nameBytes.length + input.length;
    ExportFunction buffer = instance.export(CALL_BUFFER);
    long at = buffer.apply(total)[0] & 0xffffffffL;
    Memory memory = memory(instance);
    if (at == 0) {
      throw new GuestFailureException(Termination.MEMORY_LIMIT, "call '" + name + "': the plugin has no room for "
          + SizeUnit.format(total) + " of input (its allocator failed)");
    }
    check(memory, "the call buffer", at, total);
    memory.write((int) at, nameBytes);
    memory.write((int) (at + nameBytes.length), input);
    long record = instance.export(DISPATCH).apply(nameBytes.length, input.length)[0] & 0xffffffffL;
    check(memory, "the result record", record, 12);
    int status = memory.readInt((int) record);
    long reply = memory.readInt((int) record + 4) & 0xffffffffL;
    long replyLength = memory.readInt((int) record + 8) & 0xffffffffL;
    check(memory, "the reply", reply, replyLength);
    if (replyLength > maxReply) {
      throw new GuestFailureException(Termination.OUTPUT_LIMIT, "the reply of " + name + " (" + replyLength
          + " bytes) is longer than the output limit (" + SizeUnit.format(maxReply) + ")");
    }
    byte[] answer = memory.readBytes((int) reply, (int) replyLength);
    if (status == OK) {
      return answer;
    }
    throw new GuestFailureException(Termination.TRAP, "call '" + name + "': guest replied " + statusName(status)
        + ": " + new String(answer, StandardCharsets.UTF_8));
  }

  /** Refuses, before any guest code runs, a call the plugin cannot take. */
  void checkCall(String name, byte[] input) {
    if (!handlers.contains(name)) {
      throw new CallException("the plugin has no handler '" + name + "'; it serves "
          + (handlers.isEmpty() ? "none" : String.join(", ", handlers)));
    }
    if ((long) name.getBytes(StandardCharsets.UTF_8).length + input.length > Integer.MAX_VALUE) {
      throw new CallException("call input of " + input.length + " bytes is too large for a 32-bit guest");
    }
  }

  private void serve(Memory memory, long names, long length) {
    if (serving) {
      throw new HostFunctions.HostFunctionFailure("isolate_serve() was called twice");
    }
    check(memory, "the handler names", names, Math.min(length, MAX_HANDLERS * (MAX_NAME + 1L) + 1));
    try {
      handlers.addAll(GuestSdk.handlerNames(memory.readBytes((int) names, (int) Math.min(length,
          MAX_HANDLERS * (MAX_NAME + 1L) + 1))));
    } catch (IllegalArgumentException e) {
      throw new HostFunctions.HostFunctionFailure("isolate_serve(): " + e.getMessage());
    }
    serving = true;
  }

  private long hostCall(Memory memory, long name, long nameLength, long input, long inputLength) {
    if (nameLength < 1 || nameLength > MAX_NAME) {
      throw new HostFunctions.HostFunctionFailure("isolate_host_call: a name of " + nameLength + " bytes");
    }
    check(memory, "the host function's name", name, nameLength);
    check(memory, "the host call's input", input, inputLength);
    String function = new String(memory.readBytes((int) name, (int) nameLength), StandardCharsets.UTF_8);
    UnaryOperator<byte[]> body = hostFunctions.get(function);
    int status;
    byte[] reply;
    if (body == null) {
      status = NO_SUCH_FUNCTION;
      reply = utf8("no host function '" + function + "'");
    } else {
      byte[] in = memory.readBytes((int) input, (int) inputLength);
      try {
        reply = body.apply(in);
        status = OK;
        if (reply == null) {
          reply = new byte[0];
        }
      } catch (RuntimeException e) {
        status = FAILED;
        reply = utf8("host function '" + function + "' failed: " + e);
      }
    }
    pendingReply = reply;
    return (long) status << 32 | (reply.length & 0xffffffffL);
  }

  private int hostReply(Memory memory, long buffer, long length) {
    byte[] reply = pendingReply;
    pendingReply = null;
    if (reply == null || (buffer == 0 && length == 0)) {
      return 0;
    }
    if (length != reply.length) {
      throw new HostFunctions.HostFunctionFailure("host_reply asked for " + length + " bytes of a reply of "
          + reply.length);
    }
    check(memory, "the host reply's buffer", buffer, length);
    memory.write((int) buffer, reply);
    return reply.length;
  }

  private void log(Memory memory, long level, long message, long length) {
    long n = Math.min(length, MAX_LOG);
    check(memory, "the log message", message, n);
    String text = new String(memory.readBytes((int) message, (int) n), StandardCharsets.UTF_8);
    String name = level >= 0 && level < LEVELS.length ? LEVELS[(int) level] : "LEVEL" + level;
    try {
      log.write(utf8("guest " + name + ": " + text + "\n"));
    } catch (java.io.IOException e) {
      // the isolate's stderr is a sink that does not fail; nothing to tell the guest
    }
  }

  /** An i32 the guest passed, as the unsigned number its addresses and lengths are. */
  private static long u32(long value) {
    return value & 0xffffffffL;
  }

  private static Memory memory(Instance instance) {
    Memory memory = instance.memory();
    if (memory == null) {
      throw new HostFunctions.HostFunctionFailure("the plugin has no memory");
    }
    return memory;
  }

  /** Every guest-supplied (address, length) pair passes here before the host touches the bytes. */
  private static void check(Memory memory, String what, long address, long length) {
    long size = (long) memory.pages() * Memory.PAGE_SIZE;
    if (address < 0 || length < 0 || address > size || length > size - address) {
      throw new HostFunctions.HostFunctionFailure(what + " (" + length + " bytes at address " + address
          + ") lies outside guest memory (" + size + " bytes)");
    }
  }

  private static void requireType(Instance instance, String name, FunctionType wanted) {
    FunctionType actual;
    try {
      actual = instance.exportType(name);
    } catch (RuntimeException e) {
      actual = null;
    }
    if (actual == null || !actual.typesMatch(wanted)) {
      throw new HostFunctions.HostFunctionFailure("the plugin exports " + ABI_EXPORT + " but its " + name + " is "
          + (actual == null ? "missing" : Imports.describe(actual)) + ", not " + Imports.describe(wanted)
          + ": it was not built with this guest SDK");
    }
  }

  static String statusName(int status) {
    return status >= 0 && status < STATUS_NAMES.length ? STATUS_NAMES[status] : "status " + status;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
