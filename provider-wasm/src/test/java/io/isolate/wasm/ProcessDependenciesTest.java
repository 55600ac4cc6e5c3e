package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An application that runs PROCESS isolates (the API and this provider) gets no Vert.x, Netty or JSON library: none
 * of the jars of this module's runtime class path (as Maven resolves it for applications, written by the build to
 * {@code target/runtime.classpath}) holds one of their classes. Guava still comes with Jimfs, the in-memory file
 * system of copied mounts, until mounts are served live. (The tests' own class path is not the measure: it holds
 * test-scope libraries, such as the JSON reader of the WASI suite's specs.)
 */
class ProcessDependenciesTest {
  @ParameterizedTest
  @ValueSource(strings = {"io/vertx/core/Vertx.class", "io/netty/buffer/ByteBuf.class",
      "com/fasterxml/jackson/core/JsonFactory.class"})
  void bringsNoNetworkingOrJsonLibrary(String classFile) throws Exception {
    String classPath = Files.readString(Path.of("target", "runtime.classpath")).trim();
    assertTrue(classPath.contains("chicory"), "the runtime class path as Maven resolved it: " + classPath);
    for (String entry : classPath.split(java.io.File.pathSeparator)) {
      if (entry.endsWith(".jar")) {
        try (JarFile jar = new JarFile(entry)) {
          assertNull(jar.getEntry(classFile), classFile + " comes to applications with " + entry);
        }
      }
    }
  }
}
