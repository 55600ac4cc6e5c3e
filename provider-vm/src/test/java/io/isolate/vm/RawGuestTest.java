package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.testing.Prerequisites;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The VMM core alone: a raw guest talks to the legacy devices over the I/O bus. */
class RawGuestTest {
  @BeforeEach
  void kvm() {
    Prerequisites.requireKvm();
  }

  @Test
  void writesToTheDebugConsoleAndLeavesThroughTheExitPort() {
    byte[] code = {
        (byte) 0xB0, 'h', (byte) 0xE6, (byte) 0xE9, // mov al, 'h'; out 0xE9, al
        (byte) 0xB0, 'i', (byte) 0xE6, (byte) 0xE9, // mov al, 'i'; out 0xE9, al
        (byte) 0xB0, 7, (byte) 0xE6, (byte) 0xF4, //  mov al, 7; out 0xF4, al
        (byte) 0xF4};
    try (RawGuest guest = new RawGuest(code, 0)) {
      assertEquals(3, guest.run());
      assertEquals("hi", new String(guest.console.output(), StandardCharsets.US_ASCII));
      assertEquals(7, guest.exitPort.status());
    }
  }

  @Test
  void reportsAnExceptionInTheRawGuest() {
    byte[] code = {0x0F, 0x0B}; // ud2
    try (RawGuest guest = new RawGuest(code, 0)) {
      KvmException e = assertThrows(KvmException.class, guest::run);
      assertTrue(e.getMessage().contains("#UD"), e.getMessage());
    }
  }

  @Test
  void measuresTheSystemCallRoundTripWithABuiltInProgram() {
    Duration d = VmProbes.systemCallRoundTrip(5000);
    System.out.printf("trapped getpid round trip: %.1f us on %s%n", d.toNanos() / 1e3, VmProbes.hostKind());
    assertTrue(d.toNanos() > 0 && d.toMillis() < 10, d::toString);
  }

  @Test
  void measuresTheBareExitRoundTrip() {
    Duration d = VmProbes.bareExitRoundTrip(5000);
    System.out.printf("bare port-I/O exit round trip: %.1f us on %s%n", d.toNanos() / 1e3, VmProbes.hostKind());
    assertTrue(d.toNanos() > 0 && d.toMillis() < 10, d::toString);
  }
}
