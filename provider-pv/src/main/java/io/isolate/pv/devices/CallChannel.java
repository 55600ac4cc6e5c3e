package io.isolate.pv.devices;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The host end of the call protocol ({@link CallFrame}) on a console port: calls into the guest by name, and the
 * guest's calls to host functions.
 *
 * <p>Calls may come from many threads at once: each frame is handed to the port in one piece, and replies are
 * matched by call id, so calls are pipelined. A guest that breaks the framing fails every pending call and all
 * later ones; so does a device reset.
 *
 * <pre>{@code
 * CallChannel calls = new CallChannel(16 << 20, Map.of("time", in -> now()), executor);
 * byte[] digest = calls.call("sha256", data).get(5, TimeUnit.SECONDS);
 * }</pre>
 */
public final class CallChannel implements PortHandler {
  private final int maxPayload;
  private final Map<String, UnaryOperator<byte[]>> hostFunctions;
  private final Executor hostExecutor;
  private final Consumer<String> errors;
  private final Map<Integer, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(1);
  private volatile PortSender sender;
  private volatile CallFrameDecoder decoder;
  private volatile String failure;

  /**
   * @param maxPayload the largest payload accepted in either direction
   * @param hostFunctions the functions the guest may call, by name
   * @param hostExecutor where host functions run (not on the vCPU thread, if they may block)
   * @param errors receives a line per guest protocol error
   */
  public CallChannel(int maxPayload, Map<String, UnaryOperator<byte[]>> hostFunctions, Executor hostExecutor,
      Consumer<String> errors) {
    if (maxPayload <= 0) {
      throw new IllegalArgumentException("maxPayload (" + maxPayload + ") must be positive");
    }
    this.maxPayload = maxPayload;
    this.hostFunctions = Map.copyOf(hostFunctions);
    this.hostExecutor = Objects.requireNonNull(hostExecutor, "hostExecutor");
    this.errors = errors == null ? s -> {} : errors;
    this.decoder = new CallFrameDecoder(maxPayload, true);
  }

  @Override
  public void attached(PortSender sender) {
    this.sender = sender;
  }

  /**
   * Calls guest function {@code name} with {@code payload}. The future completes with the reply payload, or
   * exceptionally with {@link CallFailedException}. The caller bounds the wait (e.g. {@code orTimeout}); a call that
   * times out is forgotten and its late reply ignored.
   */
  public CompletableFuture<byte[]> call(String name, byte[] payload) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(payload, "payload");
    int nameLength = name.getBytes(StandardCharsets.UTF_8).length;
    if (nameLength == 0 || nameLength > CallFrame.MAX_NAME_BYTES || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("function name '" + name + "' must be 1 to 255 bytes without NUL");
    }
    if (payload.length > maxPayload) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds the limit of "
          + maxPayload);
    }
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    String failed = failure;
    if (failed != null) {
      result.completeExceptionally(new CallFailedException(CallFrame.FAILED, failed));
      return result;
    }
    int id = nextId.getAndIncrement();
    pending.put(id, result);
    result.whenComplete((r, e) -> pending.remove(id));
    try {
      sender.send(new CallFrame(CallFrame.CALL, CallFrame.OK, id, name, payload).wire());
    } catch (RuntimeException e) {
      result.completeExceptionally(new CallFailedException(CallFrame.FAILED, "call " + id + " to '" + name
          + "' could not be sent: " + e.getMessage()));
    }
    return result;
  }

  /** Calls in flight. */
  public int pendingCalls() {
    return pending.size();
  }

  @Override
  public void received(byte[] data) {
    List<CallFrame> frames;
    try {
      frames = decoder.feed(data, 0, data.length);
    } catch (CallFrameDecoder.FramingException e) {
      fail("guest broke the call framing: " + e.getMessage());
      return;
    }
    for (CallFrame f : frames) {
      if (f.kind() == CallFrame.REPLY) {
        CompletableFuture<byte[]> call = pending.get(f.callId());
        if (call == null) {
          errors.accept("call port: reply to unknown or abandoned call " + f.callId());
        } else if (f.status() == CallFrame.OK) {
          call.complete(f.payload());
        } else {
          call.completeExceptionally(new CallFailedException(f.status(), "guest replied "
              + CallFrame.statusName(f.status()) + ": " + new String(f.payload(), StandardCharsets.UTF_8)));
        }
      } else {
        hostExecutor.execute(() -> serveHostCall(f));
      }
    }
  }

  private void serveHostCall(CallFrame f) {
    UnaryOperator<byte[]> fn = hostFunctions.get(f.name());
    CallFrame reply;
    if (fn == null) {
      reply = errorReply(f, CallFrame.NO_SUCH_FUNCTION, "no host function '" + f.name() + "'");
    } else {
      try {
        byte[] out = fn.apply(f.payload());
        if (out == null) {
          out = new byte[0];
        }
        reply = out.length > maxPayload
            ? errorReply(f, CallFrame.TOO_LARGE, "host function '" + f.name() + "' returned " + out.length
                + " bytes, over the limit of " + maxPayload)
            : new CallFrame(CallFrame.HOST_REPLY, CallFrame.OK, f.callId(), "", out);
      } catch (RuntimeException e) {
        reply = errorReply(f, CallFrame.FAILED, "host function '" + f.name() + "' failed: " + e);
      }
    }
    try {
      sender.send(reply.wire());
    } catch (RuntimeException e) {
      errors.accept("call port: could not send the reply to host call " + f.callId() + ": " + e.getMessage());
    }
  }

  private static CallFrame errorReply(CallFrame f, int status, String message) {
    return new CallFrame(CallFrame.HOST_REPLY, status, f.callId(), "", message.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void deviceReset() {
    // a fresh driver starts a fresh stream; calls in flight are lost
    failPending("the guest reset its console device");
    decoder = new CallFrameDecoder(maxPayload, true);
  }

  /** Fails every pending and future call with {@code reason} (a guest that broke the protocol, a closed isolate). */
  public void fail(String reason) {
    failure = reason;
    if (!pending.isEmpty()) {
      errors.accept("call port: " + reason); // said once, on stderr, when calls fail for it; silent otherwise
    }
    failPending(reason);
  }

  private void failPending(String reason) {
    for (var e : pending.entrySet()) {
      e.getValue().completeExceptionally(new CallFailedException(CallFrame.FAILED, "call " + e.getKey() + ": "
          + reason));
    }
  }
}
