package io.isolate;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a run ended: why ({@link #termination()}), with what code, what it wrote and what it used.
 *
 * <pre>{@code
 * ExitResult r = isolate.run();
 * if (r.termination() == Termination.EXITED && r.exitCode() == 0) { use(r.stdoutText()); }
 * else { log(r.termination() + ": " + r.detail()); }
 * }</pre>
 */
public final class ExitResult {
  private final Termination termination;
  private final int exitCode;
  private final String detail;
  private final byte[] stdout;
  private final byte[] stderr;
  private final Usage usage;
  private final Map<String, Long> unsupportedCalls;

  private ExitResult(Builder b) {
    this.termination = Objects.requireNonNull(b.termination, "termination");
    this.exitCode = b.exitCode;
    this.detail = b.detail == null ? "" : b.detail;
    this.stdout = b.stdout;
    this.stderr = b.stderr;
    this.usage = b.usage == null ? Usage.of(Duration.ZERO, null, -1) : b.usage;
    this.unsupportedCalls = Collections.unmodifiableMap(new LinkedHashMap<>(b.unsupportedCalls));
  }

  /** A builder for providers; applications receive results, they do not build them. */
  public static Builder builder(Termination termination) {
    return new Builder(termination);
  }

  /** Why the run ended. */
  public Termination termination() {
    return termination;
  }

  /**
   * The workload's exit code when it {@link Termination#EXITED}; 128 + signal number when a signal ended it; -1
   * when it never produced one (it did not start, or it was stopped for a limit before exiting).
   */
  public int exitCode() {
    return exitCode;
  }

  /**
   * The human-readable reason: a trap message, a fault address, the limit that was hit. After EXITED it is
   * usually empty, or holds warnings about things around the run that did not work (for example an application
   * output stream that threw).
   */
  public String detail() {
    return detail;
  }

  /** True when the workload exited by itself with code 0. */
  public boolean isSuccess() {
    return termination == Termination.EXITED && exitCode == 0;
  }

  /** Captured stdout (empty unless stdout was {@link Output#capture()}d). */
  public byte[] stdout() {
    return stdout.clone();
  }

  /** Captured stderr (empty unless stderr was {@link Output#capture()}d). */
  public byte[] stderr() {
    return stderr.clone();
  }

  /** Captured stdout decoded as UTF-8. */
  public String stdoutText() {
    return new String(stdout, StandardCharsets.UTF_8);
  }

  /** Captured stderr decoded as UTF-8. */
  public String stderrText() {
    return new String(stderr, StandardCharsets.UTF_8);
  }

  /** What the run used. */
  public Usage usage() {
    return usage;
  }

  /**
   * Calls the guest made that the level does not implement (system calls at the HARDWARE level, WASI calls at
   * the PROCESS level), by name, with how often each was made. They failed with ENOSYS.
   */
  public Map<String, Long> unsupportedCalls() {
    return unsupportedCalls;
  }

  @Override
  public String toString() {
    return "ExitResult{" + termination + (termination == Termination.EXITED ? " " + exitCode : "")
        + (detail.isEmpty() ? "" : ": " + detail) + ", stdout=" + stdout.length + " B, stderr=" + stderr.length
        + " B, " + usage + (unsupportedCalls.isEmpty() ? "" : ", unsupported=" + unsupportedCalls) + "}";
  }

  /** Builds an {@link ExitResult}. */
  public static final class Builder {
    private Termination termination;
    private int exitCode = -1;
    private String detail;
    private byte[] stdout = new byte[0];
    private byte[] stderr = new byte[0];
    private Usage usage;
    private Map<String, Long> unsupportedCalls = Map.of();

    private Builder(Termination termination) {
      this.termination = Objects.requireNonNull(termination, "termination");
    }

    public Builder termination(Termination termination) {
      this.termination = Objects.requireNonNull(termination, "termination");
      return this;
    }

    public Builder exitCode(int exitCode) {
      this.exitCode = exitCode;
      return this;
    }

    public Builder detail(String detail) {
      this.detail = detail;
      return this;
    }

    public Builder stdout(byte[] stdout) {
      this.stdout = stdout.clone();
      return this;
    }

    public Builder stderr(byte[] stderr) {
      this.stderr = stderr.clone();
      return this;
    }

    public Builder usage(Usage usage) {
      this.usage = usage;
      return this;
    }

    public Builder unsupportedCalls(Map<String, Long> calls) {
      this.unsupportedCalls = Map.copyOf(calls);
      return this;
    }

    public ExitResult build() {
      return new ExitResult(this);
    }
  }
}
