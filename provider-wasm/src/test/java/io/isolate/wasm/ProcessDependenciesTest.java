package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An application that runs PROCESS isolates (the API and this provider) gets no Vert.x, Netty or JSON library. The
 * test class path holds every compile and runtime dependency of this module, so a class that is missing here is
 * missing for applications too. Guava still comes with Jimfs, the in-memory file system of copied mounts, until
 * mounts are served live.
 */
class ProcessDependenciesTest {
  @ParameterizedTest
  @ValueSource(strings = {"io.vertx.core.Vertx", "io.netty.buffer.ByteBuf", "com.fasterxml.jackson.core.JsonFactory"})
  void bringsNoNetworkingOrJsonLibrary(String className) {
    assertThrows(ClassNotFoundException.class, () -> Class.forName(className), className + " is on the class path");
  }
}
