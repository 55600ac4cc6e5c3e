package io.isolate.pv.devices;

import io.isolate.pv.virtio.DescriptorChain;
import io.isolate.pv.virtio.DeviceContext;
import io.isolate.pv.virtio.VirtioDevice;
import io.isolate.pv.virtio.VirtioFeatures;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * virtio-rng (device type 4, entropy): fills the device-writable buffers of each request from a
 * {@link SecureRandom}, at most {@code maxBytesPerRequest} per chain (the used length tells the driver how many).
 *
 * <pre>{@code
 * RngDevice rng = new RngDevice(new SecureRandom(), 64 << 10, log::warn);
 * }</pre>
 */
public final class RngDevice implements VirtioDevice {
  static final int DEVICE_TYPE = 4;
  private final SecureRandom random;
  private final int maxBytesPerRequest;
  private final Consumer<String> errors;
  private DeviceContext context;
  private long bytesServed;
  private long badChains;

  public RngDevice(SecureRandom random, int maxBytesPerRequest, Consumer<String> errors) {
    this.random = Objects.requireNonNull(random, "random");
    if (maxBytesPerRequest <= 0) {
      throw new IllegalArgumentException("maxBytesPerRequest (" + maxBytesPerRequest + ") must be positive");
    }
    this.maxBytesPerRequest = maxBytesPerRequest;
    this.errors = errors == null ? s -> {} : errors;
  }

  @Override
  public int deviceType() {
    return DEVICE_TYPE;
  }

  @Override
  public long deviceFeatures() {
    return VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC | VirtioFeatures.RING_EVENT_IDX;
  }

  @Override
  public int[] queueMaxSizes() {
    return new int[] {64};
  }

  @Override
  public int configSize() {
    return 0;
  }

  @Override
  public void readConfig(int offset, byte[] data) {}

  @Override
  public synchronized String activate(DeviceContext context) {
    if (!context.queue(0).isReady()) {
      return "entropy request queue 0 is not ready";
    }
    this.context = context;
    return null;
  }

  @Override
  public synchronized void queueNotify(int index) {
    if (context == null || !context.isLive()) {
      return;
    }
    context.serveRequests(context.queue(0), this::serve, this::refused);
  }

  private int serve(DescriptorChain chain) {
    if (!chain.readable().isEmpty() || chain.writable().isEmpty()) {
      refused("request chain must have only device-writable buffers (has " + chain.readable().size()
          + " readable, " + chain.writable().size() + " writable)");
      return 0;
    }
    byte[] bytes = new byte[(int) Math.min(chain.writableBytes(), maxBytesPerRequest)];
    random.nextBytes(bytes);
    int written = chain.write(context.memory(), bytes, 0, bytes.length);
    bytesServed += written;
    return written;
  }

  private void refused(String why) {
    badChains++;
    errors.accept("virtio-rng: " + why);
  }

  @Override
  public synchronized void reset() {
    context = null;
  }

  /** Random bytes handed to the guest so far. */
  public synchronized long bytesServed() {
    return bytesServed;
  }

  /** Malformed requests refused so far. */
  public synchronized long badChains() {
    return badChains;
  }
}
