package io.isolate;

/** Binary size units for limits: {@code Limits.builder().memory(64, SizeUnit.MEGABYTES)} is 64 MiB. */
public enum SizeUnit {
  BYTES(1L),
  KILOBYTES(1L << 10),
  MEGABYTES(1L << 20),
  GIGABYTES(1L << 30);

  private final long bytes;

  SizeUnit(long bytes) {
    this.bytes = bytes;
  }

  /** Converts {@code amount} of this unit to bytes, failing on overflow. */
  public long toBytes(long amount) {
    return Math.multiplyExact(amount, bytes);
  }

  /**
   * Parses sizes such as {@code 64m}, {@code 512k}, {@code 1g}, {@code 4096} (bytes), {@code 16MiB}.
   *
   * @throws InvalidSpecException naming the text when it is not a size
   */
  public static long parseBytes(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    t = t.endsWith("ib") ? t.substring(0, t.length() - 2) : t.endsWith("b") ? t.substring(0, t.length() - 1) : t;
    SizeUnit unit = BYTES;
    if (!t.isEmpty()) {
      switch (t.charAt(t.length() - 1)) {
        case 'k' -> unit = KILOBYTES;
        case 'm' -> unit = MEGABYTES;
        case 'g' -> unit = GIGABYTES;
        default -> unit = BYTES;
      }
      if (unit != BYTES) {
        t = t.substring(0, t.length() - 1);
      }
    }
    try {
      return unit.toBytes(Long.parseLong(t));
    } catch (NumberFormatException | ArithmeticException e) {
      throw new InvalidSpecException("size '" + text + "' is not a size like 64m, 512k, 1g or 4096");
    }
  }

  /** Formats a byte count the way people read it: {@code 64 MiB}, {@code 1.5 KiB}, {@code 17 B}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] names = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int i = -1;
    while (value >= 1024 && i < names.length - 1) {
      value /= 1024;
      i++;
    }
    return (value == Math.rint(value) ? String.valueOf((long) value) : String.format(java.util.Locale.ROOT, "%.1f", value))
        + " " + names[i];
  }
}
