package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Mount;
import io.isolate.Termination;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Guest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A static Rust program (the standard library on static glibc) runs unmodified. */
class RustProgramTest {
  @TempDir Path tmp;

  @Test
  void runsTheRustStandardLibrary() throws Exception {
    Path program = Fixtures.rustProgram("tour");
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.writeString(data.resolve("in.txt"), "from the host\n");
    ExitResult r = Guest.run(Guest.builder(program, "x", "y").env("WHO", "rust").stdin(Input.of("abca"))
        .mount(Mount.readOnly(data, "/data")).mount(Mount.readWrite(out, "/out")));
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals(3, r.exitCode(), r::toString);
    assertEquals("args=[\"x\", \"y\"] env=rust letters=[('a', 2), ('b', 1), ('c', 1)] dir=[\"in.txt\"]\n",
        r.stdoutText());
    assertEquals("FROM THE HOST\n", Files.readString(out.resolve("rust.txt")));
    assertEquals(Map.of(), r.unsupportedCalls());
  }

  @Test
  void aPanicExitsWith101AndItsMessage() {
    ExitResult r = Guest.run(Fixtures.rustProgram("tour"), "panic");
    assertEquals(101, r.exitCode(), r::toString);
    assertTrue(r.stderrText().contains("deliberate panic"), r.stderrText());
  }
}
