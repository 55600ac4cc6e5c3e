package io.isolate.pv.devices;

import io.isolate.pv.virtio.DescriptorChain;
import io.isolate.pv.virtio.DeviceContext;
import io.isolate.pv.virtio.InvalidChainException;
import io.isolate.pv.virtio.MmioTransport;
import io.isolate.pv.virtio.QueueBrokenException;
import io.isolate.pv.virtio.QueueLimits;
import io.isolate.pv.virtio.VirtioDevice;
import io.isolate.pv.virtio.VirtioFeatures;
import io.isolate.pv.virtio.Virtqueue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * virtio-console (device type 3) with VIRTIO_CONSOLE_F_MULTIPORT: port 0 is the guest's console (stdout to a
 * {@link ConsoleOutput}, stdin from {@link #stdin()}), and each named port connects a {@link PortHandler}, such as
 * the {@link CallChannel} on port {@value CallFrame#PORT_NAME}.
 *
 * <pre>{@code
 * CallChannel calls = new CallChannel(16 << 20, Map.of(), Runnable::run);
 * ConsoleDevice console = ConsoleDevice.builder()
 *     .stdout(sink::write)
 *     .outputRate(8 << 20, 1 << 20)
 *     .namedPort(CallFrame.PORT_NAME, calls)
 *     .build();
 * }</pre>
 *
 * <p>Queues: 0/1 receive/transmit of port 0, 2/3 control receive/transmit, then 2(n+1) and 2(n+1)+1 for port n.
 * Port 0 output is rate-limited (a token bucket that lets a chain through whole, then holds the queue until the
 * debt is repaid) and counted against the output budget; bytes beyond the budget are dropped and counted.
 */
public final class ConsoleDevice implements VirtioDevice, MmioTransport.QueueLimitsProvider {
  /** VIRTIO_CONSOLE_F_MULTIPORT. */
  public static final long F_MULTIPORT = 1L << 1;
  static final int DEVICE_TYPE = 3;
  static final int CONTROL_RX = 2;
  static final int CONTROL_TX = 3;
  /** The SDK's queue size: its driver then leaves QueueNum at its reset value (ABI.md, section 3). */
  private static final int QUEUE_SIZE = 64;
  private static final int MAX_CONTROL_MESSAGE = 512;

  private final List<ConsolePort> ports;
  private final ConsoleOutput stdout;
  private final RateLimiter limiter;
  private final ScheduledExecutorService scheduler;
  private final QueueLimits limits;
  private final long maxPendingBytes;
  private final Consumer<String> errors;
  private final boolean callPolling;
  /** Control messages waiting for the driver's control receive buffers. */
  private final ReceiveBacklog controlOut = ReceiveBacklog.messages();

  private DeviceContext context;
  private boolean multiport;
  private long stdoutBytes;
  private long droppedBytes;
  private boolean outputLimitExceeded;
  private long badChains;
  private boolean retryScheduled;

  private ConsoleDevice(Builder b) {
    this.stdout = b.stdout;
    this.limiter = b.bytesPerSecond > 0 ? new RateLimiter(b.bytesPerSecond, b.burst, b.nanoClock) : null;
    this.scheduler = b.scheduler;
    this.limits = b.limits;
    this.maxPendingBytes = b.maxPendingBytes;
    this.errors = b.errors;
    this.callPolling = b.callPolling;
    List<ConsolePort> list = new ArrayList<>();
    list.add(new ConsolePort(0, null, null));
    for (int i = 0; i < b.names.size(); i++) {
      list.add(new ConsolePort(i + 1, b.names.get(i), b.handlers.get(i)));
    }
    this.ports = List.copyOf(list);
    for (ConsolePort p : ports) {
      if (p.handler != null) {
        p.handler.attached(pieces -> send(p, pieces));
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link ConsoleDevice}. */
  public static final class Builder {
    private ConsoleOutput stdout = ConsoleOutput.DISCARD;
    private long bytesPerSecond;
    private long burst;
    private LongSupplier nanoClock = System::nanoTime;
    private ScheduledExecutorService scheduler;
    private QueueLimits limits = QueueLimits.DEFAULT;
    private long maxPendingBytes = 64L << 20;
    private Consumer<String> errors = s -> {};
    private final List<String> names = new ArrayList<>();
    private final List<PortHandler> handlers = new ArrayList<>();
    private boolean callPolling = true;

    private Builder() {}

    /**
     * Whether {@link #pollTransmit} spins on the transmit ring for an adaptive window before the caller waits for a
     * notification. Default: true (a call in a busy isolate then takes no exit); false trades that latency for the
     * CPU time of the window.
     */
    public Builder callPolling(boolean callPolling) {
      this.callPolling = callPolling;
      return this;
    }

    /** Where port 0 output goes. Default: discarded. */
    public Builder stdout(ConsoleOutput stdout) {
      this.stdout = Objects.requireNonNull(stdout, "stdout");
      return this;
    }

    /** Limits port 0 output to {@code bytesPerSecond} with bursts of {@code burst} bytes. Default: unlimited. */
    public Builder outputRate(long bytesPerSecond, long burst) {
      if (bytesPerSecond <= 0 || burst <= 0) {
        throw new IllegalArgumentException("output rate (" + bytesPerSecond + " B/s, burst " + burst
            + ") must be positive");
      }
      this.bytesPerSecond = bytesPerSecond;
      this.burst = burst;
      return this;
    }

    /** The monotonic clock of the rate limiter. Default: {@code System::nanoTime}. */
    public Builder nanoClock(LongSupplier nanoClock) {
      this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
      return this;
    }

    /**
     * Resumes throttled output by itself on this scheduler. Default: none, the owner calls
     * {@link #resumeOutput()} after {@link #nanosUntilOutputAllowed()}.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Caps applied to every chain. Default: {@link QueueLimits#DEFAULT}. */
    public Builder queueLimits(QueueLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /** The most host-to-guest bytes one port may hold waiting for guest buffers. Default: 64 MiB. */
    public Builder maxPendingBytes(long maxPendingBytes) {
      if (maxPendingBytes <= 0) {
        throw new IllegalArgumentException("maxPendingBytes (" + maxPendingBytes + ") must be positive");
      }
      this.maxPendingBytes = maxPendingBytes;
      return this;
    }

    /** Receives a line per guest protocol error. Default: ignored (they are counted in stats). */
    public Builder errors(Consumer<String> errors) {
      this.errors = Objects.requireNonNull(errors, "errors");
      return this;
    }

    /** Adds port {@code n} (1, 2, ... in call order) named {@code name}, served by {@code handler}. */
    public Builder namedPort(String name, PortHandler handler) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(handler, "handler");
      int length = name.getBytes(StandardCharsets.UTF_8).length;
      if (length == 0 || length > 255 || name.indexOf('\0') >= 0 || names.contains(name)) {
        throw new IllegalArgumentException("port name '" + name + "' must be 1 to 255 bytes, without NUL, unique");
      }
      names.add(name);
      handlers.add(handler);
      return this;
    }

    public ConsoleDevice build() {
      return new ConsoleDevice(this);
    }
  }

  @Override
  public int deviceType() {
    return DEVICE_TYPE;
  }

  @Override
  public long deviceFeatures() {
    return VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC | VirtioFeatures.RING_EVENT_IDX
        | F_MULTIPORT;
  }

  @Override
  public int[] queueMaxSizes() {
    int[] sizes = new int[2 * ports.size() + 2];
    java.util.Arrays.fill(sizes, QUEUE_SIZE);
    return sizes;
  }

  @Override
  public QueueLimits queueLimits() {
    return limits;
  }

  @Override
  public int configSize() {
    return 12; // cols u16, rows u16, max_nr_ports u32, emerg_wr u32
  }

  @Override
  public void readConfig(int offset, byte[] data) {
    byte[] config = new byte[12];
    config[0] = 80;
    config[2] = 25;
    config[4] = (byte) ports.size();
    System.arraycopy(config, offset, data, 0, data.length);
  }

  @Override
  public String activate(DeviceContext context) {
    boolean multi = context.hasFeature(F_MULTIPORT);
    int[] required = multi ? new int[] {0, 1, CONTROL_RX, CONTROL_TX} : new int[] {0, 1};
    for (int q : required) {
      if (!context.queue(q).isReady()) {
        return "console queue " + q + " is not ready" + (multi ? " (multiport needs queues 0 to 3)" : "");
      }
    }
    synchronized (this) {
      this.context = context;
      this.multiport = multi;
      // receive buffers are seen without a kick whenever the host has bytes to deliver; ask for kicks only when a
      // queue runs dry with bytes waiting (saves the driver an exit per buffer it posts)
      for (ConsolePort p : ports) {
        Virtqueue rx = p.id == 0 || multi ? context.queue(p.receiveQueue()) : null;
        if (rx != null && rx.isReady()) {
          // bytes queued before the driver came up: keep kicks on so that its first buffers bring them in
          p.inbound.kickRequested = !p.inbound.isEmpty();
          rx.setNotificationsSuppressed(!p.inbound.kickRequested);
        }
      }
      if (multi) {
        controlOut.kickRequested = false;
        context.queue(CONTROL_RX).setNotificationsSuppressed(true);
      }
      // bytes the host queued before the driver came up (a named port's go after the handshake)
      deliverInbound(ports.get(0));
    }
    return null;
  }

  @Override
  public void reset() {
    List<PortHandler> toReset = new ArrayList<>();
    synchronized (this) {
      if (context == null) {
        // never activated (a driver's reset at boot): nothing was in flight, keep what the host queued
        return;
      }
      context = null;
      multiport = false;
      controlOut.clear();
      for (ConsolePort p : ports) {
        p.inbound.clear();
        p.guestReady = false;
        p.guestOpen = false;
        if (p.handler != null) {
          toReset.add(p.handler);
        }
      }
    }
    toReset.forEach(PortHandler::deviceReset);
  }

  /**
   * Transmit queues of the ports (port 0 output, call replies, guest calls to the host): a host thread takes what
   * the guest sent while the guest goes on. The control queues are served in the exit, since the driver's
   * hand-shake waits on each answer.
   */
  @Override
  public boolean notifiesThroughEventfd(int index) {
    return index == 1 || (index > CONTROL_TX && index % 2 == 1 && index < 2 * ports.size() + 2);
  }

  @Override
  public void queueNotify(int index) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      if (context == null || !context.isLive()) {
        return;
      }
      if (index == CONTROL_TX && multiport) {
        handleControl(after);
      } else if (index == CONTROL_RX && multiport) {
        deliverControl();
      } else {
        ConsolePort port = portOfQueue(index);
        if (port == null) {
          error("notify of console queue " + index + " that belongs to no port");
          return;
        }
        if (index == port.receiveQueue()) {
          deliverInbound(port);
        } else if (port.id == 0) {
          drainStdout();
        } else {
          drainPort(port, after);
        }
      }
    }
    after.forEach(Runnable::run);
  }

  private ConsolePort portOfQueue(int index) {
    if (index < 2) {
      return ports.get(0);
    }
    if (!multiport) {
      return null;
    }
    int id = index / 2 - 1;
    return id >= 1 && id < ports.size() ? ports.get(id) : null;
  }

  /** Counters; consistent with each other. */
  public synchronized ConsoleStats stats() {
    return new ConsoleStats(stdoutBytes, droppedBytes, outputLimitExceeded,
        limiter != null && limiter.isThrottled(), badChains);
  }

  /** Nanoseconds until throttled port 0 output may go on; 0 when it is not throttled. */
  public synchronized long nanosUntilOutputAllowed() {
    return limiter == null ? 0 : limiter.nanosUntilAvailable();
  }

  /** Processes port 0 output held back by the rate limiter (the VMM's timer or the scheduler calls this). */
  public void resumeOutput() {
    synchronized (this) {
      retryScheduled = false;
      if (context != null && context.isLive()) {
        drainStdout();
      }
    }
  }

  /** Sends bytes to the guest's console input (port 0). */
  public PortSender stdin() {
    return pieces -> send(ports.get(0), pieces);
  }

  // ---- port 0 output: rate-limited, budgeted, counted

  private void drainStdout() {
    Virtqueue q = context.queue(1);
    if (!q.isReady()) {
      return;
    }
    while (true) {
      if (limiter != null && limiter.isThrottled()) {
        if (hasPending(q)) {
          scheduleRetry();
        }
        break;
      }
      DescriptorChain chain = nextChain(q);
      if (chain == null) {
        break;
      }
      if (!chain.writable().isEmpty()) {
        refuse(q, chain.headIndex(), "console transmit chain has " + chain.writable().size()
            + " device-writable buffers (transmit buffers are read-only)");
        continue;
      }
      byte[] data = chain.readAll(context.memory());
      if (limiter != null) {
        limiter.consume(data.length);
      }
      if (outputLimitExceeded) {
        droppedBytes += data.length;
      } else if (stdout.write(data, 0, data.length)) {
        stdoutBytes += data.length;
      } else {
        // the sink delivered what the budget allowed and reports only that something was dropped
        outputLimitExceeded = true;
        droppedBytes += data.length;
      }
      q.addUsed(chain.headIndex(), 0);
    }
    context.signalUsed(q);
  }

  private void scheduleRetry() {
    if (scheduler != null && !retryScheduled) {
      retryScheduled = true;
      scheduler.schedule(this::resumeOutput, Math.max(1, limiter.nanosUntilAvailable()), TimeUnit.NANOSECONDS);
    }
  }

  // ---- adaptive polling of a named port's transmit queue

  static final long POLL_WINDOW_MIN_NANOS = 10_000;
  static final long POLL_WINDOW_INITIAL_NANOS = 50_000;
  static final long POLL_WINDOW_MAX_NANOS = 200_000; // KVM's default halt_poll_ns on x86
  static final long POLL_USELESS_AFTER_NANOS = 1_000_000;

  /**
   * Polls the transmit queue of {@code handler}'s port on the calling thread until {@code done} holds or an
   * adaptive window passes, with VIRTQ_USED_F_NO_NOTIFY set so that the driver publishes its chains without a
   * QueueNotify exit. A caller waiting for a reply calls this first: in a busy isolate the reply arrives within the
   * window, is taken from the ring here (no exit, no thread wake-up) and completes the caller's future.
   *
   * <p>Like KVM's halt-polling, the window grows (to {@value #POLL_WINDOW_MAX_NANOS} ns) when polling paid off or
   * the reply came soon after the window, and shrinks (to {@value #POLL_WINDOW_MIN_NANOS} ns) when the reply took
   * longer than {@value #POLL_USELESS_AFTER_NANOS} ns, which no window would have caught. When it ends,
   * notifications are asked for again and the ring is looked at once more, so a chain published meanwhile is never
   * left behind. At most one thread polls a port at a time; others return at once (and wait for notifications).
   * Guest memory is touched only under the device lock while the device is live, so a reset (which precedes
   * unmapping) ends it all.
   *
   * <p>{@code start} (which sends the request) runs after NO_NOTIFY is set: a spinning guest answers faster than
   * this thread could set it afterwards.
   *
   * @return the future {@code start} made; done when the reply came within the window
   */
  public <T> CompletableFuture<T> pollTransmit(PortHandler handler, Supplier<CompletableFuture<T>> start) {
    ConsolePort port = null;
    for (ConsolePort p : ports) {
      if (p.handler == handler && handler != null) {
        port = p;
      }
    }
    if (port == null || !callPolling || !port.polling.compareAndSet(false, true)) {
      return start.get();
    }
    CompletableFuture<T> done = null;
    boolean paid = false;
    long window = port.pollWindowNanos;
    long started = System.nanoTime();
    try {
      boolean pollable = suppressTransmitKicks(port, true);
      done = start.get();
      if (!pollable) {
        return done;
      }
      long deadline = System.nanoTime() + window;
      while (true) {
        if (done.isDone()) {
          paid = true;
          break;
        }
        if (pollOnce(port) < 0) {
          break;
        }
        if (done.isDone()) {
          paid = true;
          break;
        }
        if (System.nanoTime() - deadline > 0) {
          break;
        }
        Thread.onSpinWait();
      }
    } finally {
      // ask for kicks again, then look once more: the driver publishes, fences and reads the flag; we clear the
      // flag, fence and read the index, so one of us sees the other
      suppressTransmitKicks(port, false);
      pollOnce(port);
      port.polling.set(false);
    }
    if (paid) {
      port.pollWindowNanos = Math.min(POLL_WINDOW_MAX_NANOS, window * 2);
    } else if (done != null) {
      // judge the window by when the reply really came: a call that took longer than POLL_USELESS_AFTER_NANOS
      // is one polling cannot help (shrink); a shorter one might have been caught by a longer window (grow). Not
      // "longer than the maximum window": a missed poll makes the next call slower (the guest stops spinning and
      // blocks, its wake-up costs more), so that rule would lock itself into never polling on a slow host
      ConsolePort p = port;
      done.whenComplete((r, e) -> {
        long took = System.nanoTime() - started;
        p.pollWindowNanos = took <= POLL_USELESS_AFTER_NANOS
            ? Math.min(POLL_WINDOW_MAX_NANOS, Math.max(2 * took, 2 * p.pollWindowNanos))
            : Math.max(POLL_WINDOW_MIN_NANOS, p.pollWindowNanos / 2);
      });
    }
    return done;
  }

  /** Sets or clears NO_NOTIFY on the port's transmit queue; false when the port cannot be polled now. */
  private boolean suppressTransmitKicks(ConsolePort port, boolean suppressed) {
    synchronized (this) {
      try {
        Virtqueue q = pollableTransmit(port);
        if (q == null) {
          return false;
        }
        q.setNotificationsSuppressed(suppressed);
        return true;
      } catch (RuntimeException e) {
        return false; // the transport reset the queue under us (the isolate is closing): stop polling
      }
    }
  }

  private Virtqueue pollableTransmit(ConsolePort port) {
    if (context == null || !context.isLive() || (port.id != 0 && !multiport)) {
      return null;
    }
    Virtqueue q = context.queue(port.transmitQueue());
    return q.isReady() && !q.isBroken() ? q : null;
  }

  /** Takes what the driver published on the port's transmit queue: the number of chains, -1 if not pollable. */
  private int pollOnce(ConsolePort port) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      try {
        Virtqueue q = pollableTransmit(port);
        if (q == null) {
          return -1;
        }
        if (!hasPending(q)) {
          return 0;
        }
        drainPort(port, after);
      } catch (RuntimeException e) {
        return -1; // the transport reset the queue under us (the isolate is closing): stop polling
      }
    }
    after.forEach(Runnable::run);
    return after.size();
  }

  // ---- named port output: to the handler, outside the lock

  private void drainPort(ConsolePort port, List<Runnable> after) {
    Virtqueue q = context.queue(port.transmitQueue());
    if (!q.isReady()) {
      return;
    }
    boolean taken = false;
    for (DescriptorChain chain; (chain = nextChain(q)) != null; ) {
      if (!chain.writable().isEmpty()) {
        refuse(q, chain.headIndex(), port + " transmit chain has device-writable buffers");
        continue;
      }
      port.queueForHandler(chain.readAll(context.memory())); // in ring order, under the device lock
      q.addUsed(chain.headIndex(), 0);
      taken = true;
    }
    if (taken) {
      after.add(port::deliverToHandler); // outside the lock, one deliverer at a time: the bytes stay in order
    }
    context.signalUsed(q);
  }

  // ---- host to guest

  private void send(ConsolePort port, byte[]... pieces) {
    long total = 0;
    for (byte[] p : pieces) {
      total += p.length;
    }
    synchronized (this) {
      if (port.inbound.bytes() + total > maxPendingBytes) {
        throw new IllegalStateException(port + " has " + port.inbound.bytes() + " bytes waiting for the guest; "
            + total + " more would exceed the limit of " + maxPendingBytes);
      }
      for (byte[] p : pieces) {
        port.inbound.add(p);
      }
      if (context != null && context.isLive()) {
        deliverInbound(port);
      }
    }
  }

  private void deliverInbound(ConsolePort port) {
    if (port.id != 0 && !multiport) {
      return;
    }
    Virtqueue q = context.queue(port.receiveQueue());
    if (q.isReady() && !q.isBroken() && !port.inbound.isEmpty()) {
      deliver(q, port.inbound, port.toString());
    }
  }

  /**
   * Moves {@code backlog} into the receive buffers of {@code q}, a port's or the control queue's. Receive buffers
   * are looked at whenever the host has something to deliver, so the queue asks for kicks only while it runs dry
   * with something waiting: then the flag is cleared and the ring looked at once more, since the driver may have
   * added a buffer before it saw the flag (it fences between publishing and reading the flag, as we do here).
   */
  private void deliver(Virtqueue q, ReceiveBacklog backlog, String what) {
    boolean used = false;
    while (!backlog.isEmpty()) {
      DescriptorChain chain = nextChain(q);
      if (chain == null) {
        if (q.isBroken() || backlog.kickRequested) {
          break;
        }
        backlog.kickRequested = true;
        q.setNotificationsSuppressed(false);
        continue;
      }
      String unfit = backlog.unfit(chain);
      if (unfit != null) {
        refuse(q, chain.headIndex(), what + " receive chain " + unfit);
        continue;
      }
      q.addUsed(chain.headIndex(), backlog.fill(chain, context.memory()));
      used = true;
    }
    if (backlog.isEmpty() && backlog.kickRequested && !q.isBroken()) {
      backlog.kickRequested = false;
      q.setNotificationsSuppressed(true);
    }
    if (used) {
      context.signalUsed(q);
    }
  }

  // ---- control queues

  private void handleControl(List<Runnable> after) {
    Virtqueue q = context.queue(CONTROL_TX);
    for (DescriptorChain chain; (chain = nextChain(q)) != null; ) {
      if (chain.readableBytes() < ControlMessage.SIZE || chain.readableBytes() > MAX_CONTROL_MESSAGE
          || !chain.writable().isEmpty()) {
        refuse(q, chain.headIndex(), "control message of " + chain.readableBytes() + " readable and "
            + chain.writableBytes() + " writable bytes (must be " + ControlMessage.SIZE + " to "
            + MAX_CONTROL_MESSAGE + " readable bytes only)");
        continue;
      }
      ControlMessage m = ControlMessage.decode(chain.readAll(context.memory()));
      q.addUsed(chain.headIndex(), 0);
      onControl(m, after);
    }
    context.signalUsed(q);
    deliverControl();
  }

  private void onControl(ControlMessage m, List<Runnable> after) {
    if (m.event() == ControlMessage.DEVICE_READY) {
      if (m.value() != 1) {
        error("guest console driver reported failure (DEVICE_READY " + m.value() + ")");
        return;
      }
      for (ConsolePort p : ports) {
        controlOut.add(ControlMessage.of(p.id, ControlMessage.DEVICE_ADD, 0).encode());
      }
      return;
    }
    if (m.id() >= ports.size()) {
      badChains++;
      error(ControlMessage.eventName(m.event()) + " names port " + m.id() + ", but the device has "
          + ports.size());
      return;
    }
    ConsolePort port = ports.get((int) m.id());
    switch (m.event()) {
      case ControlMessage.PORT_READY -> {
        if (m.value() != 1) {
          error("guest could not add " + port + " (PORT_READY " + m.value() + ")");
          return;
        }
        port.guestReady = true;
        if (port.id == 0) {
          controlOut.add(ControlMessage.of(0, ControlMessage.CONSOLE_PORT, 1).encode());
        } else {
          controlOut.add(new ControlMessage(port.id, ControlMessage.PORT_NAME, 1, port.nameBytes()).encode());
        }
        controlOut.add(ControlMessage.of(port.id, ControlMessage.PORT_OPEN, 1).encode());
      }
      case ControlMessage.PORT_OPEN -> {
        if (m.value() > 1) {
          badChains++;
          error("PORT_OPEN value " + m.value() + " for " + port + " must be 0 or 1");
          return;
        }
        boolean open = m.value() == 1;
        if (port.guestOpen != open) {
          port.guestOpen = open;
          if (port.handler != null) {
            after.add(() -> port.handler.guestOpened(open));
          }
        }
        if (open) {
          deliverInbound(port);
        }
      }
      default -> {
        badChains++;
        error("guest sent control event " + ControlMessage.eventName(m.event()) + ", which only the device sends");
      }
    }
  }

  private void deliverControl() {
    deliver(context.queue(CONTROL_RX), controlOut, "control");
  }

  // ---- helpers

  /**
   * Pops the next valid chain of {@code q}, returning malformed ones to the driver with length 0 on the way.
   * Returns null when the queue is empty, or broken (the device then needs a reset).
   */
  private DescriptorChain nextChain(Virtqueue q) {
    while (true) {
      try {
        return q.isBroken() ? null : q.pop();
      } catch (InvalidChainException e) {
        refuse(q, e);
      } catch (QueueBrokenException e) {
        context.needsReset(e.getMessage());
        return null;
      }
    }
  }

  private boolean hasPending(Virtqueue q) {
    try {
      return !q.isBroken() && q.pending() > 0;
    } catch (QueueBrokenException e) {
      context.needsReset(e.getMessage());
      return false;
    }
  }

  private void refuse(Virtqueue q, int head, String reason) {
    badChains++;
    error(reason);
    q.addUsed(head, 0);
  }

  private void refuse(Virtqueue q, InvalidChainException e) {
    refuse(q, e.headIndex(), e.getMessage());
  }

  private void error(String message) {
    try {
      errors.accept("virtio-console: " + message);
    } catch (RuntimeException ignored) {
      // a failing listener must not turn a guest error into a host failure
    }
  }
}
