package io.isolate.container.seccomp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * x86-64 system call numbers by name, from {@code asm/unistd_64.h} (the resource {@code syscalls-x86_64.txt},
 * regenerated with {@code grep '^#define __NR_' /usr/include/x86_64-linux-gnu/asm/unistd_64.h}), with the calls of
 * Linux 6.3 to 6.18 (451 {@code cachestat} to 467 {@code open_tree_attr}) added by hand from the kernel's
 * {@code syscall_64.tbl}.
 */
public final class SyscallTable {
  private static final Map<String, Integer> X86_64 = load();

  private SyscallTable() {}

  private static Map<String, Integer> load() {
    Map<String, Integer> table = new LinkedHashMap<>();
    try (InputStream in = SyscallTable.class.getResourceAsStream("syscalls-x86_64.txt")) {
      if (in == null) {
        throw new IllegalStateException("missing resource syscalls-x86_64.txt");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        String[] f = line.trim().split("\\s+");
        if (f.length == 2) {
          table.put(f[0], Integer.parseInt(f[1]));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Collections.unmodifiableMap(table);
  }

  /** The number of {@code name} on x86-64, if it exists there. */
  public static OptionalInt number(String name) {
    Integer n = X86_64.get(name);
    return n == null ? OptionalInt.empty() : OptionalInt.of(n);
  }

  /** The highest system call number the table knows. */
  public static int highest() {
    return X86_64.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
  }

  public static Map<String, Integer> all() {
    return X86_64;
  }
}
