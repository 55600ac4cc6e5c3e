package io.isolate.pv.vmm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isolate.pv.devices.CallChannel;
import io.isolate.pv.devices.CallFrame;
import io.isolate.pv.devices.ConsoleDevice;
import io.isolate.pv.devices.RngDevice;
import io.isolate.vm.kvm.KvmDevice;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SDK guests on a real KVM VM. Skipped without /dev/kvm, unless CI=true (then a missing KVM fails). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PvMachineTest {
  @BeforeEach
  void needsKvm() {
    io.isolate.vm.testing.Prerequisites.requireKvm(); // per test, so that a skip is counted per test
  }

  private static byte[] image(String name) throws Exception {
    try (InputStream in = PvMachineTest.class.getResourceAsStream("/META-INF/isolate/guest-sdk/examples/" + name)) {
      return in.readAllBytes();
    }
  }

  private final List<String> log = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final CallChannel calls = new CallChannel(16 << 20, Map.of(), Runnable::run, log::add);
  private final ConsoleDevice console = ConsoleDevice.builder().stdout((b, off, len) -> {
    synchronized (stdout) {
      stdout.write(b, off, len);
    }
    return true;
  }).namedPort(CallFrame.PORT_NAME, calls).errors(log::add).build();
  private final RngDevice rng = new RngDevice(new SecureRandom(), 64 << 10, log::add);

  private PvMachine start(String image, String... args) throws Exception {
    return PvMachine.start(KvmDevice.get(), image(image), 64 << 20, List.of(args), List.of(console, rng), log::add);
  }

  @Test
  void echoGuestAnswersCallsOnKvm() throws Exception {
    try (PvMachine vm = start("echo.elf")) {
      byte[] reply;
      try {
        reply = calls.call("echo", "hello, paravirt".getBytes()).get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("exit " + vm.exit().getNow(null) + ", log " + log, e);
      }
      assertEquals("hello, paravirt", new String(reply), log::toString);
      byte[] big = new byte[3 << 20];
      new SecureRandom().nextBytes(big);
      assertArrayEquals(big, calls.call("echo", big).get(20, TimeUnit.SECONDS));
      long t0 = System.nanoTime();
      long exits0 = vm.exits();
      int n = 200;
      for (int i = 0; i < n; i++) {
        calls.call("echo", new byte[16]).get(5, TimeUnit.SECONDS);
      }
      long perCall = (System.nanoTime() - t0) / n;
      log.add("echo round trip " + perCall / 1000 + " us, exits " + vm.exits());
      System.out.println("PvMachineTest: small echo call round trip " + perCall / 1000 + " us, "
          + (vm.exits() - exits0) / (double) n + " exits per call (notifications and waits for events, " + KvmDevice.hostKind() + ")");
    }
  }

  @Test
  void callsOnABusyIsolateNeedAlmostNoExits() throws Exception {
    try (PvMachine vm = start("echo.elf")) {
      var first = console.pollTransmit(calls, () -> calls.call("echo", "warm".getBytes()));
      assertEquals("warm", new String(first.get(20, TimeUnit.SECONDS)), log::toString);
      // warm up the JIT: a cold host is slower than the guest spins on its ring before it blocks
      long warm = System.nanoTime() + 2_000_000_000L;
      while (System.nanoTime() < warm) {
        var reply = console.pollTransmit(calls, () -> calls.call("echo", new byte[0]));
        reply.get(5, TimeUnit.SECONDS);
      }
      // a 2-core CI host has hiccups (compiler threads, GC) that can put both sides in a slow mode for a few hundred
      // calls (provider-pv README): the best of up to 8 batches must need (almost) no exits
      int n = 200;
      double best = Double.MAX_VALUE;
      String detail = "";
      for (int attempt = 0; attempt < 8 && best >= 0.2; attempt++) {
        long exits0 = vm.exits();
        long mmio0 = vm.mmioExits();
        long waits0 = vm.waits();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          byte[] in = ("call " + i).getBytes();
          var reply = console.pollTransmit(calls, () -> calls.call("echo", in));
          assertArrayEquals(in, reply.get(5, TimeUnit.SECONDS));
        }
        long perCall = (System.nanoTime() - t0) / n;
        double exitsPerCall = (vm.exits() - exits0) / (double) n;
        detail = "polled echo call round trip " + perCall / 1000 + " us, " + exitsPerCall + " exits per call ("
            + (vm.mmioExits() - mmio0) + " MMIO, " + (vm.waits() - waits0) + " waits for events; "
            + KvmDevice.hostKind() + ", attempt " + (attempt + 1) + ")";
        System.out.println("PvMachineTest: " + detail);
        best = Math.min(best, exitsPerCall);
      }
      double bestExits = best;
      String last = detail;
      assertTrue(bestExits < 0.2, () -> last + ", log " + log);
    }
  }

  @Test
  void streamGuestWritesItsOutputAndExits() throws Exception {
    try (PvMachine vm = start("stream.elf", "1048576")) {
      PvExit exit = vm.exit().get(30, TimeUnit.SECONDS);
      assertEquals(PvExit.Kind.EXITED, exit.kind(), () -> exit + " " + log);
      assertEquals(0, exit.code());
      assertEquals(1 << 20, stdout.size());
      if (KvmDevice.get().hasIoeventfd()) {
        assertTrue(vm.eventfdNotifications() > 0, "port 0 output notified through the ioeventfd");
      }
    }
  }

  /**
   * The boot path's exit budget: the SDK's drivers read only what the specification asks for, register writes are
   * coalesced, the console hand-shake is batched and the rng starts on first use. On a PVM host each exit costs
   * about 20 µs, so this is what keeps create → first call → close under 2 ms.
   */
  @Test
  void bootsAndAnswersItsFirstCallWithFewExits() throws Exception {
    try (PvMachine vm = start("echo.elf")) {
      assertEquals("hi", new String(calls.call("echo", "hi".getBytes()).get(20, TimeUnit.SECONDS)), log::toString);
      String counts = vm.exits() + " exits (" + vm.mmioExits() + " MMIO), " + vm.coalescedWrites()
          + " coalesced register writes";
      System.out.println("PvMachineTest: boot and first call: " + counts);
      assertTrue(vm.mmioExits() <= 24, counts);
      if (KvmDevice.get().coalescedMmioPage() > 0) {
        assertTrue(vm.coalescedWrites() >= 30, counts);
      }
    }
  }

  /** Without host polling, the guest's reply notification takes the ioeventfd: no exit per call. */
  @Test
  void repliesNotifyThroughAnEventfdWithoutExits() throws Exception {
    assumeTrue(KvmDevice.get().hasIoeventfd(), "this host has no KVM_IOEVENTFD");
    try (PvMachine vm = start("echo.elf")) {
      assertEquals("warm", new String(calls.call("echo", "warm".getBytes()).get(20, TimeUnit.SECONDS)));
      long mmio0 = vm.mmioExits();
      long notified0 = vm.eventfdNotifications();
      int n = 300;
      for (int i = 0; i < n; i++) {
        byte[] in = ("call " + i).getBytes();
        assertArrayEquals(in, calls.call("echo", in).get(5, TimeUnit.SECONDS));
      }
      long mmio = vm.mmioExits() - mmio0;
      long notified = vm.eventfdNotifications() - notified0;
      assertTrue(notified >= n / 2 && mmio <= n / 10, () -> notified + " eventfd notifications and " + mmio
          + " MMIO exits for " + n + " calls, log " + log);
    }
  }
}
