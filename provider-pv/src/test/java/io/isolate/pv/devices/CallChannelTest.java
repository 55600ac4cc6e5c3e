package io.isolate.pv.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.pv.virtio.MmioTransport;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Calls through a real console device, answered by a guest written in Java over the virtqueues. */
class CallChannelTest {
  private static final int CALL_RX = 4;
  private static final int CALL_TX = 5;

  private final CallChannel calls = new CallChannel(16 << 20, Map.of(
      "upper", in -> new String(in, StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8),
      "boom", in -> {
        throw new IllegalStateException("kaput");
      }), Runnable::run, null);
  private final ConsoleDevice device = ConsoleDevice.builder().namedPort(CallFrame.PORT_NAME, calls).build();
  private final ConsoleGuest guest = new ConsoleGuest(device, 96 << 20).start(ConsoleGuest.FEATURES, 6);
  private final CallFrameDecoder guestSide = new CallFrameDecoder(16 << 20, false);
  private final List<CallFrame> hostReplies = new ArrayList<>();

  CallChannelTest() {
    guest.handshake();
    guest.control(1, ControlMessage.PORT_OPEN, 1);
    guest.postReceive(CALL_RX, 16, 64 << 10);
  }

  /** One pass of the guest's serve loop: answers CALLs with the named function, keeps HOST_REPLYs. */
  private int serveOnce() throws Exception {
    byte[] in = guest.receiveAll(CALL_RX);
    int served = 0;
    for (CallFrame f : guestSide.feed(in, 0, in.length)) {
      if (f.kind() == CallFrame.HOST_REPLY) {
        hostReplies.add(f);
        continue;
      }
      CallFrame reply = switch (f.name()) {
        case "echo" -> new CallFrame(CallFrame.REPLY, 0, f.callId(), "", f.payload());
        case "sha256" -> new CallFrame(CallFrame.REPLY, 0, f.callId(), "",
            MessageDigest.getInstance("SHA-256").digest(f.payload()));
        default -> new CallFrame(CallFrame.REPLY, CallFrame.NO_SUCH_FUNCTION, f.callId(), "",
            ("no function " + f.name()).getBytes());
      };
      guest.transmit(CALL_TX, reply.encode(), 64 << 10, reply.payload().length > (1 << 20));
      served++;
    }
    return served;
  }

  @Test
  void callsAGuestFunctionAndGetsItsReply() throws Exception {
    CompletableFuture<byte[]> reply = calls.call("echo", "ping".getBytes());
    serveOnce();
    assertEquals("ping", new String(reply.get(1, TimeUnit.SECONDS)));
    assertEquals(0, calls.pendingCalls());
  }

  @Test
  void carriesPayloadsOfSeveralMebibytesBothWays() throws Exception {
    byte[] big = new byte[5 << 20];
    new Random(1).nextBytes(big);
    CompletableFuture<byte[]> echo = calls.call("echo", big);
    CompletableFuture<byte[]> hash = calls.call("sha256", big);
    for (int i = 0; i < 200 && !(echo.isDone() && hash.isDone()); i++) {
      serveOnce();
    }
    assertArrayEquals(big, echo.get(1, TimeUnit.SECONDS));
    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(big), hash.get(1, TimeUnit.SECONDS));
  }

  @Test
  void makesManyCallsInARow() throws Exception {
    for (int i = 0; i < 500; i++) {
      CompletableFuture<byte[]> reply = calls.call("echo", ("n" + i).getBytes());
      serveOnce();
      assertEquals("n" + i, new String(reply.get(1, TimeUnit.SECONDS)));
    }
  }

  @Test
  void matchesRepliesToConcurrentCallers() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(4);
    AtomicBoolean done = new AtomicBoolean();
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        jobs.add(callers.submit(() -> {
          for (int i = 0; i < 100; i++) {
            String text = thread + ":" + i + ":" + "x".repeat(i * 37);
            byte[] reply = calls.call("echo", text.getBytes()).get(10, TimeUnit.SECONDS);
            assertEquals(text, new String(reply));
          }
          return null;
        }));
      }
      assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
        while (!jobs.stream().allMatch(Future::isDone)) {
          if (serveOnce() == 0) {
            Thread.onSpinWait();
          }
        }
      });
      for (Future<?> job : jobs) {
        job.get();
      }
    } finally {
      done.set(true);
      callers.shutdownNow();
    }
  }

  @Test
  void reportsAnErrorStatusFromTheGuest() {
    CompletableFuture<byte[]> reply = calls.call("missing", new byte[0]);
    assertTimeoutPreemptively(Duration.ofSeconds(2), () -> serveOnce());
    ExecutionException e = assertThrows(ExecutionException.class, () -> reply.get(1, TimeUnit.SECONDS));
    CallFailedException failure = (CallFailedException) e.getCause();
    assertEquals(CallFrame.NO_SUCH_FUNCTION, failure.status());
    assertTrue(failure.getMessage().contains("NO_SUCH_FUNCTION: no function missing"), failure.getMessage());
  }

  @Test
  void servesHostFunctionsTheGuestCalls() throws Exception {
    guest.transmit(CALL_TX, new CallFrame(CallFrame.HOST_CALL, 0, 77, "upper", "shout".getBytes()).encode(), 7,
        false);
    guest.transmit(CALL_TX, new CallFrame(CallFrame.HOST_CALL, 0, 78, "nope", new byte[0]).encode(), 64, false);
    guest.transmit(CALL_TX, new CallFrame(CallFrame.HOST_CALL, 0, 79, "boom", new byte[0]).encode(), 64, false);
    serveOnce();
    assertEquals(3, hostReplies.size());
    assertEquals(77, hostReplies.get(0).callId());
    assertEquals("SHOUT", new String(hostReplies.get(0).payload()));
    assertEquals(CallFrame.NO_SUCH_FUNCTION, hostReplies.get(1).status());
    assertEquals(CallFrame.FAILED, hostReplies.get(2).status());
    assertTrue(new String(hostReplies.get(2).payload()).contains("kaput"));
  }

  @Test
  void failsPendingAndLaterCallsWhenTheGuestBreaksTheFraming() throws Exception {
    CompletableFuture<byte[]> pending = calls.call("echo", new byte[10]);
    guest.transmit(CALL_TX, "GARBAGE-GARBAGE-GARBAGE-GARBAGE".getBytes(), 64, false);
    ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(1, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("guest broke the call framing: frame magic"),
        e.getCause().getMessage());
    assertTrue(calls.call("echo", new byte[1]).isCompletedExceptionally());
  }

  @Test
  void failsPendingCallsWhenTheGuestResetsTheDevice() {
    CompletableFuture<byte[]> pending = calls.call("echo", new byte[10]);
    guest.driver.write(MmioTransport.STATUS, 0);
    ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(1, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("reset its console device"), e.getCause().getMessage());
  }

  @Test
  void refusesOversizedPayloadsAndBadNamesOnTheHostSide() {
    CallChannel small = new CallChannel(8, Map.<String, UnaryOperator<byte[]>>of(), Runnable::run, null);
    assertThrows(IllegalArgumentException.class, () -> small.call("echo", new byte[9]));
    assertThrows(IllegalArgumentException.class, () -> small.call("", new byte[1]));
    assertThrows(IllegalArgumentException.class, () -> small.call("a\0b", new byte[1]));
  }
}
