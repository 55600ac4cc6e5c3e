package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Mount;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Guest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A self-checking C program calls each implemented system call through glibc and musl and checks Linux semantics. */
class SyscallConformanceTest {
  @TempDir Path rw;

  @ParameterizedTest
  @EnumSource(Libc.class)
  void systemCallsBehaveAsOnLinux(Libc libc) {
    ExitResult r = Guest.run(Guest.builder(Fixtures.program("syscalls", libc)).mount(Mount.readWrite(rw, "/rw")));
    assertTrue(r.stdoutText().contains("failures=0"), r.stdoutText() + r);
    assertEquals(0, r.exitCode());
    assertEquals(Map.of("clone", 1L), r.unsupportedCalls());
  }
}
