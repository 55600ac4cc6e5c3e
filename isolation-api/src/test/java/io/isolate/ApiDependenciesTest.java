package io.isolate;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The API has no dependencies: an application that depends on it gets it alone. The test class path holds every
 * compile and runtime dependency of this module, so a class that is missing here is missing for applications too.
 */
class ApiDependenciesTest {
  @ParameterizedTest
  @ValueSource(strings = {"io.vertx.core.Vertx", "io.netty.buffer.ByteBuf", "com.google.common.collect.ImmutableList",
      "com.fasterxml.jackson.core.JsonFactory"})
  void bringsNoLibrary(String className) {
    assertThrows(ClassNotFoundException.class, () -> Class.forName(className), className + " is on the class path");
  }
}
