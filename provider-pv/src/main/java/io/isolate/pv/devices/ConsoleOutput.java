package io.isolate.pv.devices;

/**
 * Where console port 0 (the guest's stdout) goes; {@code io.isolate.spi.OutputSink::write} fits.
 */
@FunctionalInterface
public interface ConsoleOutput {
  /**
   * Delivers {@code len} bytes, or as many as an output budget allows.
   *
   * @return false when some were dropped because the budget is exhausted
   */
  boolean write(byte[] bytes, int off, int len);

  /** Discards everything, and never reports a budget exhausted. */
  ConsoleOutput DISCARD = (b, off, len) -> true;
}
