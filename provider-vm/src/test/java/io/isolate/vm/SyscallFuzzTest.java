package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.Limits;
import io.isolate.Output;
import io.isolate.Termination;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Guest;
import io.isolate.vm.testing.HostResources;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A guest issuing random system calls with random arguments cannot hurt the VMM, the JVM or the host. */
class SyscallFuzzTest {
  @Test
  void survivesRandomSystemCallsForSeveralSeconds() {
    fuzz(Duration.ofSeconds(3), "all");
  }

  @Test
  void survivesRandomMemoryManagementCalls() {
    fuzz(Duration.ofSeconds(2), "mem");
  }

  private static void fuzz(Duration duration, String mode) {
    Fixtures.program("fuzz", Libc.MUSL);
    HostResources before = HostResources.measure();
    Map<Termination, Integer> outcomes = new EnumMap<>(Termination.class);
    long calls = 0;
    java.util.Set<String> faults = new java.util.TreeSet<>();
    long end = System.nanoTime() + duration.toNanos();
    for (int seed = 1; System.nanoTime() < end; seed++) {
      ExitResult r = Guest.run(Guest.builder(Fixtures.program("fuzz", Libc.MUSL), Integer.toString(seed), "300", mode)
          .stdout(Output.discard()).stderr(Output.discard())
          .limits(Limits.builder().wallTime(Duration.ofSeconds(2)).build()));
      outcomes.merge(r.termination(), 1, Integer::sum);
      if (r.termination() == Termination.FAULT) {
        faults.add(r.detail().replaceAll("0x[0-9a-f]+", "X"));
      }
      assertTrue(Set.of(Termination.EXITED, Termination.FAULT, Termination.TIMEOUT, Termination.OUTPUT_LIMIT)
          .contains(r.termination()), r::toString);
      assertTrue(!r.detail().startsWith("the VMM failed"), r::toString);
      calls += r.unsupportedCalls().values().stream().mapToLong(Long::longValue).sum();
    }
    System.out.println("fuzz (" + mode + ") outcomes " + outcomes + ", unsupported calls made " + calls + ", faults " + faults);
    assertTrue(outcomes.values().stream().mapToInt(Integer::intValue).sum() >= 3);
    HostResources.assertNoLeak(before, HostResources.measure());
  }

  @Test
  void unsupportedCallsAreCountedByName() {
    ExitResult r = Guest.run(Guest.builder(Fixtures.program("fuzz", Libc.MUSL), "5", "50")
        .stdout(Output.discard()).stderr(Output.discard()));
    // random rt_sigaction and kill calls may install and run random handlers: any end of the guest is fine here
    assertTrue(!r.detail().startsWith("the VMM failed"), r::toString);
    assertTrue(r.unsupportedCalls().keySet().stream().anyMatch(n -> n.equals("socket") || n.equals("clone")
        || n.startsWith("syscall_") || n.equals("fork")), r.unsupportedCalls()::toString);
  }
}
