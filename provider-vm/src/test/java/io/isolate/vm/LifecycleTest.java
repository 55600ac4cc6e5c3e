package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Isolates;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.Network;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.vm.linux.LinuxProcess;
import io.isolate.vm.linux.ProcessConfig;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Fixtures.Libc;
import io.isolate.vm.testing.Guest;
import io.isolate.vm.testing.HostResources;
import io.isolate.vm.testing.Prerequisites;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Creating, running and closing VMs: availability, limits, reuse and a clean teardown. */
class LifecycleTest {
  @Test
  void doctorReportsTheKindOfVirtualization() {
    Prerequisites.requireKvm();
    var status = Isolates.doctor().level(IsolationLevel.HARDWARE);
    assertTrue(status.isAvailable(), status::toString);
    assertEquals("kvm", status.provider());
    assertTrue(status.explanation().contains("PVM") || status.explanation().contains("hardware virtualization"),
        status.explanation());
  }

  @Test
  void createsAndClosesTwoHundredVmsWithoutLeakingFileDescriptorsOrMappings() {
    Prerequisites.requireKvm();
    byte[] hello = Fixtures.bytes("hello", Libc.MUSL);
    for (int i = 0; i < 5; i++) { // warm up JNA, the JIT and the watchdog thread
      try (LinuxProcess p = LinuxProcess.create(new ProcessConfig(hello, "hello"))) {
        p.run();
      }
    }
    HostResources before = HostResources.measure();
    for (int i = 0; i < 200; i++) {
      try (LinuxProcess p = LinuxProcess.create(new ProcessConfig(hello, "hello"))) {
        if (i % 2 == 0) {
          assertEquals(Termination.EXITED, p.run().termination());
        }
      }
    }
    HostResources.assertNoLeak(before, HostResources.measure());
  }

  @Test
  void closesTwoHundredIsolatesWithoutLeakingOnceTheBackgroundTeardownsAreDone() {
    var hello = Fixtures.program("hello", Libc.MUSL);
    for (int i = 0; i < 5; i++) {
      Guest.run(hello);
    }
    HostResources before = HostResources.measure(); // drains the VM pool and waits for pending teardowns
    for (int i = 0; i < 200; i++) {
      try (Isolate isolate = Guest.builder(hello).build()) {
        if (i % 2 == 0) {
          assertEquals("hello, world\n", isolate.run().stdoutText());
        } else {
          assertEquals("hello, world\n", isolate.start().await().stdoutText());
        }
      }
    }
    HostResources.assertNoLeak(before, HostResources.measure());
  }

  @Test
  void pooledVmsAreFreshAndUnused() {
    Prerequisites.requireKvm();
    var kvm = io.isolate.vm.kvm.KvmDevice.get();
    java.util.function.Consumer<io.isolate.vm.vstate.Vm> setup = vm -> { };
    long size = 8L << 20;
    try {
      for (int i = 0; i < 4; i++) {
        try (var vm = io.isolate.vm.vstate.VmPool.take(kvm, size, setup)) {
          assertTrue(vm.vcpu() != null, "the pooled VM has its vCPU");
          assertEquals(size, vm.memory().size());
          for (long a = 0; a < size; a += 1 << 16) {
            assertEquals(0, vm.memory().readLong(a), "fresh guest memory reads as zero at 0x" + Long.toHexString(a));
          }
          vm.memory().writeLong(0x10000, 0x5EC12E7L); // must not reach the next VM
        }
      }
    } finally {
      io.isolate.vm.vstate.VmPool.drain();
    }
  }

  @Test
  void runsSeveralVmsAtOnce() throws Exception {
    var hello = Fixtures.program("args", Libc.MUSL);
    var spin = Fixtures.program("fault", Libc.MUSL);
    try (Isolate spinner = Guest.builder(spin, "spin").limits(Limits.builder().wallTime(Duration.ofMillis(500))
        .build()).build()) {
      var spinning = spinner.start();
      java.util.List<java.util.concurrent.CompletableFuture<ExitResult>> runs = new java.util.ArrayList<>();
      java.util.List<Isolate> isolates = new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Isolate isolate = Guest.builder(hello, Integer.toString(i)).build();
        isolates.add(isolate);
        runs.add(isolate.start().onExit());
      }
      for (int i = 0; i < runs.size(); i++) {
        ExitResult r = runs.get(i).get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(i, r.exitCode(), r::toString);
        assertTrue(r.stdoutText().contains("argv[1]=" + i), r::toString);
      }
      isolates.forEach(Isolate::close);
      assertEquals(Termination.TIMEOUT, spinning.await().termination());
    }
  }

  @Test
  void runsAgainInAFreshVm() {
    try (Isolate isolate = Guest.builder(Fixtures.program("hello", Libc.MUSL)).build()) {
      for (int i = 0; i < 3; i++) {
        ExitResult r = isolate.run();
        assertEquals("hello, world\n", r.stdoutText());
      }
    }
  }

  @Test
  void stopsAProgramThatWritesPastTheOutputLimit() {
    ExitResult r = Guest.run(Guest.builder(BusyboxTest.BUSYBOX, "yes", "spam")
        .limits(Limits.builder().output(100, SizeUnit.KILOBYTES).wallTime(Duration.ofSeconds(10)).build()));
    assertEquals(Termination.OUTPUT_LIMIT, r.termination(), r::toString);
    assertEquals(100 * 1024, r.stdout().length);
  }

  @Test
  void deniedSystemCallsFailWithEperm() {
    ExitResult r = Guest.run(Guest.builder(Fixtures.program("fsops", Libc.MUSL), "cwd", "/", "x")
        .denySyscalls("chdir"));
    assertTrue(r.stdoutText().startsWith("chdir: errno=1"), r.stdoutText());
  }

  @Test
  void refusesWhatTheLevelCannotDo() {
    Prerequisites.requireKvm();
    var program = Fixtures.program("hello", Libc.MUSL);
    assertThrows(InvalidSpecException.class, () -> Guest.builder(program).network(Network.LOOPBACK).build());
    assertThrows(InvalidSpecException.class, () -> Guest.builder(program).mount(Mount.tmpfs("/tmp", 1 << 20))
        .build());
    assertThrows(InvalidSpecException.class, () -> Guest.builder(program)
        .limits(Limits.builder().memory(2, SizeUnit.MEGABYTES).build()).build());
    assertThrows(InvalidSpecException.class, () -> Guest.builder(program)
        .limits(Limits.builder().cpus(0.5).build()).build());
  }
}
