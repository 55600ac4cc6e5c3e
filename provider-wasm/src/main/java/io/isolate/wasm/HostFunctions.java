package io.isolate.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.isolate.GuestFailureException;
import io.isolate.HostFunction;
import io.isolate.Termination;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the application's {@link HostFunction}s into Chicory imports. The guest memory they see is
 * bounds-checked; whatever they throw becomes a {@link HostFunctionFailure}, which traps the guest with the
 * exception's message and the function's name.
 */
final class HostFunctions {
  private HostFunctions() {}

  static com.dylibso.chicory.runtime.HostFunction adapt(HostFunction f) {
    FunctionType type = typeOf(f);
    String qualified = f.module() + "." + f.name();
    int results = f.results().size();
    return new com.dylibso.chicory.runtime.HostFunction(f.module(), f.name(), type, (instance, args) -> {
      long[] out;
      try {
        out = f.implementation().apply(new BoundedMemory(instance, qualified), args.clone());
      } catch (HostFunctionFailure e) {
        throw e;
      } catch (GuestFailureException e) {
        throw new HostFunctionFailure(e.getMessage().replaceFirst("^TRAP: ", ""), e);
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
          throw e;
        }
        throw new HostFunctionFailure("host function " + qualified + " failed: " + messageOf(e), e);
      }
      if (out == null ? results != 0 : out.length != results) {
        throw new HostFunctionFailure("host function " + qualified + " returned "
            + (out == null ? "null" : out.length + " values") + " where its type declares " + results);
      }
      return out;
    });
  }

  static FunctionType typeOf(HostFunction f) {
    return FunctionType.of(convert(f.params()), convert(f.results()));
  }

  private static List<ValType> convert(List<HostFunction.ValueType> types) {
    List<ValType> out = new ArrayList<>(types.size());
    for (HostFunction.ValueType t : types) {
      out.add(switch (t) {
        case I32 -> ValType.I32;
        case I64 -> ValType.I64;
        case F32 -> ValType.F32;
        case F64 -> ValType.F64;
      });
    }
    return out;
  }

  private static String messageOf(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /** A host function failed; the guest traps with this message. No stack trace: it is not the user's bug here. */
  static final class HostFunctionFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HostFunctionFailure(String message) {
      super(message, null, false, false);
    }

    HostFunctionFailure(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /** The guest's memory as a host function sees it: every access checked against the current size. */
  private static final class BoundedMemory implements HostFunction.Memory {
    private final Instance instance;
    private final String function;

    BoundedMemory(Instance instance, String function) {
      this.instance = instance;
      this.function = function;
    }

    private Memory memory() {
      Memory m = instance.memory();
      if (m == null) {
        throw new GuestFailureException(Termination.TRAP, "host function " + function
            + " accessed guest memory, but the module has none");
      }
      return m;
    }

    private int check(String what, long address, long length) {
      long size = size();
      if (length < 0 || address < 0 || address > size || length > size - address) {
        throw new GuestFailureException(Termination.TRAP, "host function " + function + ": " + what + " of "
            + length + " bytes at address " + address + " is outside guest memory (" + size + " bytes)");
      }
      return (int) address;
    }

    @Override
    public byte[] read(long address, int length) {
      return memory().readBytes(check("read", address, length), length);
    }

    @Override
    public void write(long address, byte[] bytes) {
      memory().write(check("write", address, bytes.length), bytes);
    }

    @Override
    public String readString(long address, int length) {
      return new String(read(address, length), StandardCharsets.UTF_8);
    }

    @Override
    public long size() {
      Memory m = instance.memory();
      return m == null ? 0 : (long) m.pages() * Memory.PAGE_SIZE;
    }

    @Override
    public long allocate(int length) {
      if (length < 0) {
        throw new IllegalArgumentException("length " + length + " is negative");
      }
      if (!Plugin.isPlugin(instance.module())) {
        throw new GuestFailureException(Termination.TRAP, "host function " + function + " allocated guest memory, "
            + "but the module was not built with the guest SDK (it exports no " + Plugin.ABI_EXPORT + ")");
      }
      // a nested guest call on this thread, inside the host function's own call: the SDK's call memory
      long address = instance.export(Plugin.ALLOC).apply(length)[0] & 0xffffffffL;
      if (address == 0) {
        throw new GuestFailureException(Termination.MEMORY_LIMIT, "host function " + function + " asked the plugin "
            + "for " + length + " bytes, and it has no room");
      }
      check("allocation", address, length);
      return address;
    }
  }
}
