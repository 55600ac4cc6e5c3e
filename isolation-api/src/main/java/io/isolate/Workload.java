package io.isolate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What runs inside an isolate. Each level accepts some kinds:
 *
 * <table>
 *   <caption>Workload kinds per level</caption>
 *   <tr><th>kind</th><th>factory</th><th>levels</th></tr>
 *   <tr><td>{@link Kind#WASM_MODULE}</td><td>{@link #wasm(Path, String...)}</td><td>PROCESS</td></tr>
 *   <tr><td>{@link Kind#COMMAND}</td><td>{@link #command(String, String...)}</td><td>OS</td></tr>
 *   <tr><td>{@link Kind#IMAGE_COMMAND}</td><td>{@link #imageCommand(String...)}</td><td>OS, with an image as
 *   root</td></tr>
 *   <tr><td>{@link Kind#STATIC_ELF}</td><td>{@link #elf(Path, String...)}</td><td>HARDWARE</td></tr>
 *   <tr><td>{@link Kind#GUEST_IMAGE}</td><td>{@link #guestImage(Path, String...)}</td><td>PARAVIRT</td></tr>
 * </table>
 *
 * <p>Instances are immutable; byte contents are copied in and out.
 */
public final class Workload {
  /** The kinds of workload. */
  public enum Kind {
    /** A WebAssembly module: a WASI command ({@code _start}) or a library of exports to {@link Isolate#call}. */
    WASM_MODULE,
    /** A program named by its path inside the isolate's root file system, run as a Linux process. */
    COMMAND,
    /** The command an OCI image's configuration names (Entrypoint and Cmd), run as a Linux process. */
    IMAGE_COMMAND,
    /** A static x86-64 Linux ELF executable, loaded into a VM without a kernel. */
    STATIC_ELF,
    /** A guest image built with the guest SDK, cooperating with the host through virtio and hypercalls. */
    GUEST_IMAGE
  }

  private final Kind kind;
  private final Path path;
  private final byte[] bytes;
  private final String name;
  private final List<String> args;

  private Workload(Kind kind, Path path, byte[] bytes, String name, List<String> args) {
    this.kind = kind;
    this.path = path;
    this.bytes = bytes;
    this.name = name;
    this.args = List.copyOf(args);
  }

  /** A WebAssembly module read from {@code module}, with the arguments its {@code _start} sees after argv[0]. */
  public static Workload wasm(Path module, String... args) {
    return fromFile(Kind.WASM_MODULE, "module", module, args);
  }

  /** A WebAssembly module given as bytes. */
  public static Workload wasm(byte[] module, String... args) {
    return fromBytes(Kind.WASM_MODULE, "module", module, "module.wasm", args);
  }

  /**
   * A program run as a process: {@code executable} is a path inside the isolate's root file system (an absolute
   * path, or a bare name looked up in the isolate's {@code PATH}).
   */
  public static Workload command(String executable, String... args) {
    Objects.requireNonNull(executable, "executable");
    if (executable.isBlank() || executable.indexOf('\0') >= 0) {
      throw new InvalidSpecException("executable '" + executable + "' must be a non-empty path without NUL");
    }
    return new Workload(Kind.COMMAND, null, null, executable, checkArgs(args));
  }

  /**
   * The command of the isolate's root image ({@code Rootfs.ociImage}), by the rules of {@code docker run}: the
   * image's Entrypoint followed by {@code args}, or by the image's Cmd when {@code args} is empty; without an
   * Entrypoint, {@code args} (or else Cmd) is the whole command. An image that names no command, or whose
   * Entrypoint or Cmd is malformed, fails to start, saying so.
   */
  public static Workload imageCommand(String... args) {
    return new Workload(Kind.IMAGE_COMMAND, null, null, "(image command)", checkArgs(args));
  }

  /** A static x86-64 Linux ELF executable read from {@code executable}. */
  public static Workload elf(Path executable, String... args) {
    return fromFile(Kind.STATIC_ELF, "executable", executable, args);
  }

  /** A static x86-64 Linux ELF executable given as bytes; {@code name} is its argv[0]. */
  public static Workload elf(byte[] executable, String name, String... args) {
    return fromBytes(Kind.STATIC_ELF, "executable", executable, name, args);
  }

  /** A guest image built with the guest SDK, read from {@code image}. */
  public static Workload guestImage(Path image, String... args) {
    return fromFile(Kind.GUEST_IMAGE, "image", image, args);
  }

  /** A guest image given as bytes. */
  public static Workload guestImage(byte[] image, String name, String... args) {
    return fromBytes(Kind.GUEST_IMAGE, "image", image, name, args);
  }

  private static Workload fromFile(Kind kind, String what, Path path, String[] args) {
    Objects.requireNonNull(path, what);
    Path absolute = path.toAbsolutePath().normalize();
    if (!Files.isRegularFile(absolute)) {
      throw new InvalidSpecException(what + " '" + path + "' is not a readable regular file");
    }
    return new Workload(kind, absolute, null, absolute.getFileName().toString(), checkArgs(args));
  }

  private static Workload fromBytes(Kind kind, String what, byte[] bytes, String name, String[] args) {
    Objects.requireNonNull(bytes, what);
    Objects.requireNonNull(name, "name");
    if (bytes.length == 0) {
      throw new InvalidSpecException(what + " is empty (0 bytes)");
    }
    return new Workload(kind, null, bytes.clone(), name, checkArgs(args));
  }

  private static List<String> checkArgs(String[] args) {
    Objects.requireNonNull(args, "args");
    for (int i = 0; i < args.length; i++) {
      if (args[i] == null) {
        throw new InvalidSpecException("args[" + i + "] is null");
      }
      if (args[i].indexOf('\0') >= 0) {
        throw new InvalidSpecException("args[" + i + "] ('" + args[i].replace('\0', '?') + "') contains NUL");
      }
    }
    return List.of(args);
  }

  /**
   * The same workload under another program name (argv[0]); for workloads given as bytes, whose name is
   * otherwise {@code module.wasm} or the one passed with the bytes.
   *
   * @throws InvalidSpecException for a command, whose name is its executable (or the image's), or a blank name
   */
  public Workload withName(String newName) {
    if (kind == Kind.COMMAND || kind == Kind.IMAGE_COMMAND) {
      throw new InvalidSpecException("a command's name is its executable; use Workload.command(...)");
    }
    if (newName == null || newName.isBlank() || newName.indexOf('\0') >= 0) {
      throw new InvalidSpecException("name '" + newName + "' must be non-blank and free of NUL");
    }
    return new Workload(kind, path, bytes, newName, args);
  }

  /**
   * This workload pinned to the SHA-256 of its content, as a plugin host pins a module: the content is read now,
   * checked, and kept in memory, so that what runs is what was checked (a file that changes later does not matter).
   *
   * @param hex the expected SHA-256, 64 hex digits (either case; a {@code sha256:} prefix is allowed)
   * @throws InvalidSpecException when the content hashes otherwise, or for a command, which has no content
   */
  public Workload requireSha256(String hex) {
    java.util.Objects.requireNonNull(hex, "hex");
    String expected = hex.startsWith("sha256:") ? hex.substring(7) : hex;
    if (!expected.matches("[0-9a-fA-F]{64}")) {
      throw new InvalidSpecException("SHA-256 '" + hex + "' is not 64 hex digits");
    }
    if (kind == Kind.COMMAND || kind == Kind.IMAGE_COMMAND) {
      throw new InvalidSpecException("a command has no content to pin; pin an image by digest instead");
    }
    byte[] content = content();
    String actual = io.isolate.internal.Sha256.hex(content);
    if (!actual.equalsIgnoreCase(expected)) {
      throw new InvalidSpecException(this + " hashes to sha256:" + actual + ", not to the pinned sha256:"
          + expected.toLowerCase(java.util.Locale.ROOT));
    }
    return new Workload(kind, path, content, name, args);
  }

  /** The same workload with other arguments. */
  public Workload withArgs(String... newArgs) {
    return new Workload(kind, path, bytes, name, checkArgs(newArgs));
  }

  public Kind kind() {
    return kind;
  }

  /** The file the workload was read from, when it came from a file. */
  public Optional<Path> path() {
    return Optional.ofNullable(path);
  }

  /**
   * The program's name: argv[0] for ELF and Wasm workloads (the file name, or the name given with the bytes),
   * the executable for commands, {@code (image command)} until the image's command replaces it.
   */
  public String name() {
    return name;
  }

  /** The arguments after argv[0]. */
  public List<String> args() {
    return args;
  }

  /**
   * The workload's content (module, executable or image bytes); read from its file on each call.
   *
   * @throws UnsupportedOperationException for {@link Kind#COMMAND} and {@link Kind#IMAGE_COMMAND}, whose program
   *     lives in the root file system
   * @throws UncheckedIOException when the file cannot be read
   */
  public byte[] content() {
    if (kind == Kind.COMMAND || kind == Kind.IMAGE_COMMAND) {
      throw new UnsupportedOperationException("a command workload has no content: it names a program");
    }
    if (bytes != null) {
      return bytes.clone();
    }
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  @Override
  public String toString() {
    return kind + " " + (path != null ? path : name) + (args.isEmpty() ? "" : " " + args);
  }
}
