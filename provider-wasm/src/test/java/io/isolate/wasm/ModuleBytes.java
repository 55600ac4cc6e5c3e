package io.isolate.wasm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * WebAssembly modules written byte by byte, for tests whose modules are too large, too odd or too hostile to keep
 * as C fixtures (a {@code br_table} with millions of targets, a hundred thousand functions). Only what those tests
 * need: function types without results or with one i32, functions, imports, one table, exports by name.
 */
final class ModuleBytes {
  static final int I32 = 0x7f;
  static final int FUNCREF = 0x70;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  ModuleBytes() {
    out.writeBytes(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
  }

  /** Appends a section with this id and content. */
  ModuleBytes section(int id, byte[] content) {
    out.write(id);
    writeU32(out, content.length);
    out.writeBytes(content);
    return this;
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }

  /** Unsigned LEB128. */
  static void writeU32(ByteArrayOutputStream out, long value) {
    do {
      int b = (int) (value & 0x7f);
      value >>>= 7;
      out.write(value != 0 ? b | 0x80 : b);
    } while (value != 0);
  }

  /** Signed LEB128. */
  static void writeS64(ByteArrayOutputStream out, long value) {
    while (true) {
      int b = (int) (value & 0x7f);
      value >>= 7;
      boolean done = (value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0);
      out.write(done ? b : b | 0x80);
      if (done) {
        return;
      }
    }
  }

  static void writeName(ByteArrayOutputStream out, String name) {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    writeU32(out, bytes.length);
    out.writeBytes(bytes);
  }

  /** A vector of {@code count} elements, each written by {@code element}. */
  static byte[] vector(int count, java.util.function.IntFunction<byte[]> element) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeU32(v, count);
    for (int i = 0; i < count; i++) {
      v.writeBytes(element.apply(i));
    }
    return v.toByteArray();
  }

  /** A function type {@code params -> results}, each an array of value type codes. */
  static byte[] funcType(int[] params, int[] results) {
    ByteArrayOutputStream t = new ByteArrayOutputStream();
    t.write(0x60);
    writeU32(t, params.length);
    for (int p : params) {
      t.write(p);
    }
    writeU32(t, results.length);
    for (int r : results) {
      t.write(r);
    }
    return t.toByteArray();
  }

  /** A function body without locals: {@code code} must end with {@code end} (0x0b). */
  static byte[] body(byte[] code) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    writeU32(b, code.length + 1);
    b.write(0); // no local declarations
    b.writeBytes(code);
    return b.toByteArray();
  }

  static byte[] export(String name, int kind, int index) {
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    writeName(e, name);
    e.write(kind);
    writeU32(e, index);
    return e.toByteArray();
  }

  static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  /**
   * A command whose {@code _start} holds one {@code br_table} of {@code targets} targets (all to the enclosing
   * block): about one byte per target.
   */
  static byte[] brTable(int targets) {
    ByteArrayOutputStream code = new ByteArrayOutputStream();
    code.writeBytes(bytes(0x02, 0x40, 0x41, 0x00, 0x0e)); // block; i32.const 0; br_table
    writeU32(code, targets);
    for (int i = 0; i < targets; i++) {
      code.write(0);
    }
    code.write(0); // default target
    code.writeBytes(bytes(0x0b, 0x0b)); // end block; end function
    return command(code.toByteArray());
  }

  /** A command of one function {@code _start} () -> () with this code (ending in {@code end}). */
  static byte[] command(byte[] code) {
    return new ModuleBytes()
        .section(1, vector(1, i -> funcType(new int[0], new int[0])))
        .section(3, vector(1, i -> new byte[] {0}))
        .section(7, vector(1, i -> export("_start", 0, 0)))
        .section(10, vector(1, i -> body(code)))
        .toByteArray();
  }

  /**
   * A library with one funcref table of one element (no maximum) and two exports: {@code grow(delta: i32) -> i32}
   * ({@code table.grow} with a null reference) and {@code size() -> i32} ({@code table.size}).
   */
  static byte[] tableGrow() {
    return new ModuleBytes()
        .section(1, vector(2, i -> i == 0 ? funcType(new int[] {I32}, new int[] {I32})
            : funcType(new int[0], new int[] {I32})))
        .section(3, vector(2, i -> new byte[] {(byte) i}))
        .section(4, vector(1, i -> bytes(FUNCREF, 0x00, 0x01))) // min 1, no max
        .section(7, vector(2, i -> i == 0 ? export("grow", 0, 0) : export("size", 0, 1)))
        .section(10, vector(2, i -> i == 0
            ? body(bytes(0xd0, FUNCREF, 0x20, 0x00, 0xfc, 0x0f, 0x00, 0x0b)) // ref.null func; local.get 0; table.grow 0
            : body(bytes(0xfc, 0x10, 0x00, 0x0b)))) // table.size 0
        .toByteArray();
  }

  /** A command whose {@code _start} is {@code v128.const 0; drop}: one SIMD instruction. */
  static byte[] simd() {
    ByteArrayOutputStream code = new ByteArrayOutputStream();
    code.writeBytes(bytes(0xfd, 0x0c)); // v128.const
    code.writeBytes(new byte[16]);
    code.writeBytes(bytes(0x1a, 0x0b)); // drop; end
    return command(code.toByteArray());
  }

  /** A command with {@code count} empty functions, the first exported as {@code _start}. */
  static byte[] manyFunctions(int count) {
    byte[] empty = body(bytes(0x0b));
    return new ModuleBytes()
        .section(1, vector(1, i -> funcType(new int[0], new int[0])))
        .section(3, vector(count, i -> new byte[] {0}))
        .section(7, vector(1, i -> export("_start", 0, 0)))
        .section(10, vector(count, i -> empty))
        .toByteArray();
  }

  /**
   * A command importing {@code wasi_snapshot_preview1.sched_yield} (a function the host provides) {@code count}
   * times under that one name, with an empty {@code _start}.
   */
  static byte[] manyImports(int count) {
    ByteArrayOutputStream imp = new ByteArrayOutputStream();
    writeName(imp, "wasi_snapshot_preview1");
    writeName(imp, "sched_yield");
    imp.write(0); // a function
    writeU32(imp, 0); // of type 0
    byte[] one = imp.toByteArray();
    return new ModuleBytes()
        .section(1, vector(2, i -> i == 0 ? funcType(new int[0], new int[] {I32}) : funcType(new int[0], new int[0])))
        .section(2, vector(count, i -> one))
        .section(3, vector(1, i -> new byte[] {1}))
        .section(7, vector(1, i -> export("_start", 0, count)))
        .section(10, vector(1, i -> body(bytes(0x0b))))
        .toByteArray();
  }

  /**
   * A command that asks {@code fd_fdstat_get} about descriptors 0, 1 and 2 and exits with their three filetypes
   * packed into one code ({@code type0 + 8 * type1 + 64 * type2}), as C's {@code isatty} looks at them.
   */
  static byte[] stdioFiletypes() {
    ByteArrayOutputStream imports = new ByteArrayOutputStream();
    writeU32(imports, 2);
    writeName(imports, "wasi_snapshot_preview1");
    writeName(imports, "fd_fdstat_get");
    imports.write(0);
    writeU32(imports, 0); // (i32 fd, i32 buf) -> i32 errno
    writeName(imports, "wasi_snapshot_preview1");
    writeName(imports, "proc_exit");
    imports.write(0);
    writeU32(imports, 1); // (i32) -> ()
    ByteArrayOutputStream code = new ByteArrayOutputStream();
    for (int fd = 0; fd < 3; fd++) {
      // fd_fdstat_get(fd, 16 * fd + 16); drop the errno
      code.writeBytes(bytes(0x41, fd, 0x41, 16 * fd + 16, 0x10, 0x00, 0x1a));
    }
    // proc_exit(load8_u[16] + 8 * load8_u[32] + 64 * load8_u[48])
    code.writeBytes(bytes(0x41, 16, 0x2d, 0x00, 0x00)); // i32.load8_u offset 0 of address 16
    code.writeBytes(bytes(0x41, 32, 0x2d, 0x00, 0x00, 0x41, 8, 0x6c, 0x6a)); // + 8 * type1
    code.writeBytes(bytes(0x41, 48, 0x2d, 0x00, 0x00, 0x41, 0xc0, 0x00, 0x6c, 0x6a)); // + 64 * type2
    code.writeBytes(bytes(0x10, 0x01, 0x0b)); // call proc_exit; end
    return new ModuleBytes()
        .section(1, vector(3, i -> i == 0 ? funcType(new int[] {I32, I32}, new int[] {I32})
            : i == 1 ? funcType(new int[] {I32}, new int[0]) : funcType(new int[0], new int[0])))
        .section(2, imports.toByteArray())
        .section(3, vector(1, i -> new byte[] {2}))
        .section(5, vector(1, i -> bytes(0x00, 0x01))) // one memory of one page
        .section(7, vector(2, i -> i == 0 ? export("_start", 0, 2) : export("memory", 2, 0)))
        .section(10, vector(1, i -> body(code.toByteArray())))
        .toByteArray();
  }
}
