package io.isolate.junit5;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Ready-made {@link IsolateFixture#withLogConsumer log consumers}. SLF4J users route {@link System.Logger} to SLF4J
 * with {@code org.slf4j:slf4j-jdk-platform-logging}, so {@link #toLogger(String)} serves them too.
 */
public final class LogConsumers {
  private LogConsumers() {}

  /** Each line at INFO on the {@link System.Logger} named {@code name}, prefixed with nothing. */
  public static Consumer<String> toLogger(String name) {
    return toLogger(System.getLogger(Objects.requireNonNull(name, "name")), System.Logger.Level.INFO);
  }

  /** Each line at {@code level} on {@code logger}. */
  public static Consumer<String> toLogger(System.Logger logger, System.Logger.Level level) {
    Objects.requireNonNull(logger, "logger");
    Objects.requireNonNull(level, "level");
    return line -> logger.log(level, line);
  }

  /** Each line to {@code System.out} after {@code prefix}, as Testcontainers' {@code ToStringConsumer} shows logs. */
  public static Consumer<String> toStandardOutput(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    return line -> System.out.println(prefix + line);
  }
}
