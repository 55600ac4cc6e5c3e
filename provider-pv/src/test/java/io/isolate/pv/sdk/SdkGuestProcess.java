package io.isolate.pv.sdk;

import io.isolate.pv.devices.CallChannel;
import io.isolate.pv.devices.CallFrame;
import io.isolate.pv.devices.ConsoleDevice;
import io.isolate.pv.devices.RngDevice;
import io.isolate.pv.hypercall.Hypercall;
import io.isolate.pv.hypercall.HypercallAbi;
import io.isolate.pv.hypercall.HypercallDecoder;
import io.isolate.pv.virtio.MmioTransport;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.function.UnaryOperator;

/**
 * Test fixture: a guest built from the SDK sources as a host process (harness.c), served by the real virtio
 * transports, devices and hypercall decoder. It is the PARAVIRT run loop without KVM: MMIO and hypercall "exits"
 * arrive over a pipe instead of from KVM_RUN, and guest memory is the process's memory.
 */
final class SdkGuestProcess implements AutoCloseable {
  static final long MMIO_BASE = 0xd000_0000L;

  final CallChannel calls;
  final ConsoleDevice console;
  final RngDevice rng;
  final List<String> logs = new CopyOnWriteArrayList<>();
  final List<String> errors = new CopyOnWriteArrayList<>();
  final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ExecutorService hostFunctions = Executors.newSingleThreadExecutor();
  private final Process process;
  private final ProcessMemory memory;
  private final List<MmioTransport> slots = new ArrayList<>();
  private final HypercallDecoder decoder;
  private final Object events = new Object();
  private final Thread vcpu;
  volatile long exits;

  SdkGuestProcess(Path executable, List<String> args, Map<String, UnaryOperator<byte[]>> hostFunctionMap)
      throws IOException {
    calls = new CallChannel(16 << 20, hostFunctionMap, hostFunctions, errors::add);
    console = ConsoleDevice.builder().stdout((b, off, len) -> {
      synchronized (stdout) {
        stdout.write(b, off, len);
      }
      return true;
    }).namedPort(CallFrame.PORT_NAME, calls).errors(errors::add).build();
    rng = new RngDevice(new SecureRandom(), 64 << 10, errors::add);
    List<String> command = new ArrayList<>(List.of(executable.toString()));
    command.addAll(args);
    process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    memory = new ProcessMemory(process.pid());
    slots.add(new MmioTransport(console, memory, this::interrupt, errors::add));
    slots.add(new MmioTransport(rng, memory, this::interrupt, errors::add));
    decoder = new HypercallDecoder(memory);
    vcpu = new Thread(this::run, "harness-vcpu");
    vcpu.setDaemon(true);
    vcpu.start();
  }

  String stdout() {
    synchronized (stdout) {
      return stdout.toString();
    }
  }

  byte[] stdoutBytes() {
    synchronized (stdout) {
      return stdout.toByteArray();
    }
  }

  private void interrupt() {
    synchronized (events) {
      events.notifyAll();
    }
  }

  private void run() {
    try (InputStream in = process.getInputStream(); OutputStream out = process.getOutputStream()) {
      DataInputStream requests = new DataInputStream(in);
      byte[] raw = new byte[48];
      ByteBuffer reply = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      while (true) {
        requests.readFully(raw);
        exits++;
        ByteBuffer m = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        long type = m.getLong();
        long a = m.getLong();
        long b = m.getLong();
        long c = m.getLong();
        long d = m.getLong();
        long e = m.getLong();
        long result = switch ((int) type) {
          case 1 -> mmio(a, false, 0);
          case 2 -> mmio(a, true, b);
          case 3 -> hypercall(a, new HypercallDecoder.Registers(a, b, c, d, e));
          default -> -1;
        };
        out.write(reply.clear().putLong(result).array());
        out.flush();
      }
    } catch (EOFException endOfGuest) {
      // the process exited
    } catch (IOException | InterruptedException e) {
      errors.add("harness: " + e);
    } finally {
      try {
        int code = process.waitFor();
        exit.complete(code);
      } catch (InterruptedException e) {
        exit.completeExceptionally(e);
      }
    }
  }

  private long mmio(long address, boolean write, long value) {
    long slot = (address - MMIO_BASE) / MmioTransport.WINDOW_SIZE;
    if (address < MMIO_BASE || slot >= slots.size()) {
      return 0; // an empty slot reads as 0 and ignores writes
    }
    MmioTransport t = slots.get((int) slot);
    long offset = (address - MMIO_BASE) % MmioTransport.WINDOW_SIZE;
    if (write) {
      t.write(offset, 4, value);
      return 0;
    }
    return t.read(offset, 4);
  }

  private long hypercall(long number, HypercallDecoder.Registers regs) throws InterruptedException {
    Hypercall h = decoder.decode(HypercallAbi.PORT, 4, true, number, regs);
    if (h instanceof Hypercall.Exit) {
      return 0;
    } else if (h instanceof Hypercall.WaitForEvent w) {
      return waitForEvent(w.timeoutNanos());
    } else if (h instanceof Hypercall.Log log) {
      logs.add(log.level() + " " + log.text());
      return 0;
    } else if (h instanceof Hypercall.Clock clock) {
      return clock.clock() == Hypercall.ClockId.MONOTONIC ? System.nanoTime()
          : System.currentTimeMillis() * 1_000_000L;
    } else if (h instanceof Hypercall.AbiVersion) {
      return HypercallAbi.VERSION;
    } else {
      Hypercall.Rejected r = (Hypercall.Rejected) h;
      errors.add("hypercall rejected: " + r.reason());
      return r.rax();
    }
  }

  private long waitForEvent(long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + (timeoutNanos == HypercallAbi.WAIT_FOREVER ? Long.MAX_VALUE / 2
        : timeoutNanos);
    synchronized (events) {
      while (true) {
        long mask = 0;
        for (int i = 0; i < slots.size(); i++) {
          if (slots.get(i).acknowledgeInterrupts() != 0) {
            mask |= 1L << i;
          }
        }
        long left = deadline - System.nanoTime();
        if (mask != 0 || left <= 0) {
          return mask;
        }
        events.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  @Override
  public void close() throws IOException {
    process.destroyForcibly();
    try {
      process.waitFor();
      vcpu.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    hostFunctions.shutdownNow();
    memory.close();
  }
}
