package io.isolate.spi;

import io.isolate.SizeUnit;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The one place that reads system properties. Each provider reads its {@code isolate.*} properties in its settings
 * record ({@code WasmSettings}, {@code ContainerSettings}, {@code VmSettings}, {@code PvSettings}) through these
 * methods, and nowhere else (a test searches the sources). A value that does not parse is an error that names the
 * property, never silently the default.
 */
public final class SystemProperties {
  private SystemProperties() {}

  /**
   * A size in bytes ({@code 67108864}, {@code 64m}, {@code 8GiB}), or {@code dflt} when unset.
   *
   * @param name the property
   * @param dflt the value when the property is unset
   * @param min the smallest value accepted
   * @return the size
   * @throws IllegalStateException when the value is not a size of at least {@code min} bytes
   */
  public static long bytes(String name, long dflt, long min) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    long n;
    try {
      n = SizeUnit.parseBytes(v);
    } catch (io.isolate.InvalidSpecException | IllegalArgumentException e) {
      throw new IllegalStateException("-D" + name + "=" + v + " is not a size in bytes (like 64m or 8g)");
    }
    if (n < min) {
      throw new IllegalStateException("-D" + name + "=" + v + " is below the least value, " + min + " bytes");
    }
    return n;
  }

  /**
   * A whole number in {@code [min, max]}, or {@code dflt} when unset.
   *
   * @param name the property
   * @param dflt the value when the property is unset
   * @param min the smallest value accepted
   * @param max the largest value accepted
   * @return the number
   * @throws IllegalStateException when the value is not a whole number in range
   */
  public static long number(String name, long dflt, long min, long max) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    long n;
    try {
      n = Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalStateException("-D" + name + "=" + v + " is not a whole number");
    }
    if (n < min || n > max) {
      throw new IllegalStateException("-D" + name + "=" + v + " is out of range: from " + min + " to " + max);
    }
    return n;
  }

  /**
   * True when the property is {@code true} (any case); false when unset or {@code false}.
   *
   * @param name the property
   * @return the flag
   * @throws IllegalStateException for any other value
   */
  public static boolean flag(String name) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("false")) {
      return false;
    }
    if (v.trim().equalsIgnoreCase("true")) {
      return true;
    }
    throw new IllegalStateException("-D" + name + "=" + v + " is neither true nor false");
  }

  /**
   * The property's value, empty when unset or blank.
   *
   * @param name the property
   * @return the value
   */
  public static Optional<String> string(String name) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  /**
   * A directory, empty when unset.
   *
   * @param name the property
   * @return the directory, absolute
   */
  public static Optional<Path> directory(String name) {
    return string(name).map(v -> Path.of(v).toAbsolutePath());
  }

  /**
   * An environment variable, empty when unset or blank (the only environment this library reads: where a tool it
   * interoperates with, such as Docker's credentials, is configured so).
   *
   * @param name the variable
   * @return the value
   */
  public static Optional<String> environment(String name) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
  }

  /** The JVM's temporary directory ({@code java.io.tmpdir}). @return the directory */
  public static Path tmpdir() {
    return Path.of(System.getProperty("java.io.tmpdir", "/tmp"));
  }

  /** The user's home directory ({@code user.home}). @return the directory */
  public static Path userHome() {
    return Path.of(System.getProperty("user.home", "/"));
  }

  /** Whether this JVM runs on Linux on x86-64, the only platform of the native levels. @return true there */
  public static boolean isLinuxX86_64() {
    String arch = System.getProperty("os.arch", "");
    return System.getProperty("os.name", "").equals("Linux") && (arch.equals("amd64") || arch.equals("x86_64"));
  }

  /** This JVM's architecture ({@code os.arch}: {@code amd64}, {@code aarch64}...). @return it */
  public static String architecture() {
    return System.getProperty("os.arch", "");
  }

  /** The kernel's release ({@code os.version}: {@code 6.1.0-13-amd64} on Linux). @return it, empty if unknown */
  public static String kernelRelease() {
    return System.getProperty("os.version", "");
  }

  /** This JVM's operating system and architecture ({@code os.name os.arch}), for messages. @return them */
  public static String platform() {
    return System.getProperty("os.name", "?") + " " + System.getProperty("os.arch", "?");
  }
}
