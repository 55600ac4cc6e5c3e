package io.isolate.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Isolates;
import io.isolate.IsolationLevel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A modular application ({@code requires io.isolate}, nothing else) runs isolates at PROCESS and OS with every jar
 * on the module path: the providers are found as services (the runtime in {@code io.isolate.spi} finds them), and
 * the SPI stays out of the application's reach: it is another module, which the application does not read.
 */
class ModularApplicationTest {
  @TempDir Path dir;

  private static final String MODULE_INFO = "module demo.app { requires io.isolate; }";
  private static final String MAIN = """
      package demo.app;

      import io.isolate.*;

      public class Main {
        // the smallest WASI command: a _start that returns
        static final byte[] EMPTY = {0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0,
            7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0, 10, 4, 1, 2, 0, 0x0b};

        public static void main(String[] args) {
          try (Isolate i = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(EMPTY)).build()) {
            System.out.println("PROCESS " + i.run().termination());
          }
          try (Isolate i = Isolate.builder().level(IsolationLevel.OS)
              .workload(Workload.command("/bin/echo", "from a module")).build()) {
            ExitResult r = i.run();
            System.out.println("OS " + r.termination() + " " + r.stdoutText().trim());
          } catch (LevelUnavailableException e) {
            System.out.println("OS unavailable: " + e.getMessage());
          }
        }
      }
      """;

  @Test
  void runsAtProcessAndOsOnTheModulePath() throws Exception {
    assertTrue(Isolates.availability(IsolationLevel.OS).isAvailable() || !"true".equals(System.getenv("CI")),
        "the OS level is needed: " + Isolates.availability(IsolationLevel.OS).explanation());
    String modulePath = Files.readString(Path.of("target/runtime.classpath")).trim();
    Path src = dir.resolve("src");
    Files.createDirectories(src.resolve("demo/app"));
    Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
    Files.writeString(src.resolve("demo/app/Main.java"), MAIN);
    Path out = dir.resolve("out");
    int compiled = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", out.toString(),
        "--module-path", modulePath, src.resolve("module-info.java").toString(),
        src.resolve("demo/app/Main.java").toString());
    assertEquals(0, compiled, "the modular application compiles against io.isolate");

    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "--module-path", out + ":" + modulePath,
        "-m", "demo.app/demo.app.Main").redirectErrorStream(true).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the application did not end");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), output);
    List<String> lines = output.lines().filter(l -> !l.startsWith("WARNING")).toList();
    assertTrue(lines.contains("PROCESS EXITED"), output);
    if (Isolates.availability(IsolationLevel.OS).isAvailable()) {
      assertTrue(lines.contains("OS EXITED from a module"), output);
    }
  }

  @Test
  void theSpiIsNotVisibleToAnApplicationThatRequiresTheApi() throws Exception {
    String modulePath = Files.readString(Path.of("target/runtime.classpath")).trim();
    Path src = dir.resolve("reach");
    Files.createDirectories(src.resolve("demo/app"));
    Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
    Files.writeString(src.resolve("demo/app/Reach.java"), """
        package demo.app;

        public class Reach {
          public static void main(String[] args) {
            System.out.println(io.isolate.spi.SystemProperties.platform());
          }
        }
        """);
    java.io.StringWriter diagnostics = new java.io.StringWriter();
    int compiled = ToolProvider.getSystemJavaCompiler().run(null, null,
        new java.io.OutputStream() {
          @Override
          public void write(int b) {
            diagnostics.write(b);
          }
        }, "-d", dir.resolve("reach-out").toString(), "--module-path", modulePath,
        src.resolve("module-info.java").toString(), src.resolve("demo/app/Reach.java").toString());
    assertTrue(compiled != 0, "an application that requires io.isolate compiled against the SPI");
    assertTrue(diagnostics.toString().contains("io.isolate.spi"), diagnostics.toString());
  }
}
