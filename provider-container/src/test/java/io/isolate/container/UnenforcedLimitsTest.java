package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.LevelUnavailableException;
import io.isolate.Termination;
import io.isolate.container.cgroup.CgroupHost;
import io.isolate.spi.IsolateBackend;
import org.junit.jupiter.api.Test;

/** A host without usable cgroups: build() refuses limits it cannot enforce unless the caller accepts that. */
class UnenforcedLimitsTest {
  @Test
  void withoutCgroupsLimitsMustBeExplicitlyAcceptedAndUsageComesFromTheKernelsAccounting() {
    Prerequisites.requireOsLevel();
    System.setProperty(ContainerSettings.CGROUPS_DISABLED, "true");
    try {
      ContainerProvider provider = new ContainerProvider();
      assertTrue(provider.probe().explanation().contains("no limits: cgroups are switched off"),
          provider.probe().explanation());
      LevelUnavailableException e = assertThrows(LevelUnavailableException.class,
          () -> provider.create(Os.command("/bin/true").spec()));
      assertTrue(e.getMessage().contains("cannot be enforced") && e.getMessage().contains("acceptUnenforcedLimits"),
          e.getMessage());
      IsolateBackend backend = provider.create(Os.sh("echo unlimited").acceptUnenforcedLimits(true).spec());
      try {
        ExitResult r = backend.start().await();
        assertEquals(Termination.EXITED, r.termination(), r::toString);
        assertEquals("unlimited\n", r.stdoutText());
        assertTrue(r.usage().cpuTime().isPresent() && r.usage().peakMemoryBytes().isPresent(), r::toString);
      } finally {
        backend.close();
      }
    } finally {
      System.clearProperty(ContainerSettings.CGROUPS_DISABLED);
    }
  }
}
