package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Guest;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** brk, mmap, mremap and munmap under heavy allocation; guest RAM is the memory limit. */
class MemoryTest {
  @ParameterizedTest
  @EnumSource(Libc.class)
  void allocatesVerifiesAndFreesMemoryHeavily(Libc libc) {
    ExitResult r = Guest.run(Guest.builder(Fixtures.program("alloc", libc), "48")
        .limits(Limits.builder().memory(256, SizeUnit.MEGABYTES).wallTime(Duration.ofSeconds(60)).build()));
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals("allocated 48 MiB, bad=0\n", r.stdoutText(), r::toString);
    assertTrue(r.usage().peakMemoryBytes().orElseThrow() > 48L << 20, r::toString);
  }

  @ParameterizedTest
  @EnumSource(Libc.class)
  void mallocFailsWithEnomemAtTheMemoryLimitAndTheProgramDecides(Libc libc) {
    ExitResult r = Guest.run(Guest.builder(Fixtures.program("alloc", libc), "exhaust")
        .limits(Limits.builder().memory(32, SizeUnit.MEGABYTES).wallTime(Duration.ofSeconds(60)).build()));
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    Matcher m = Pattern.compile("malloc failed after (\\d+) MiB").matcher(r.stdoutText());
    assertTrue(m.find(), r.stdoutText());
    int mib = Integer.parseInt(m.group(1));
    assertTrue(mib >= 16 && mib < 32, "got " + mib + " MiB out of 32");
  }
}
