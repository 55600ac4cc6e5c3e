package io.isolate.vm.elf;

/** An executable the loader cannot run; the message says what is wrong with it and where. */
public final class ElfException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ElfException(String message) {
    super(message);
  }
}
