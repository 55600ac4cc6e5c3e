package io.isolate.pv.virtio;

import java.util.List;
import java.util.function.Consumer;

/**
 * What an activated device works with: guest memory, its queues, the negotiated features, and the way back to the
 * driver (interrupts, DEVICE_NEEDS_RESET). Valid until the driver resets the device; afterwards its signals are
 * ignored.
 */
public final class DeviceContext {
  private final MmioTransport transport;
  private final int generation;
  private final QueueMemory memory;
  private final List<Virtqueue> queues;
  private final long features;

  DeviceContext(MmioTransport transport, int generation, QueueMemory memory, List<Virtqueue> queues, long features) {
    this.transport = transport;
    this.generation = generation;
    this.memory = memory;
    this.queues = List.copyOf(queues);
    this.features = features;
  }

  public QueueMemory memory() {
    return memory;
  }

  /** The queue with {@code index}; it may be not ready when the driver chose not to set it up. */
  public Virtqueue queue(int index) {
    return queues.get(index);
  }

  public int queueCount() {
    return queues.size();
  }

  /** The features the driver accepted. */
  public long features() {
    return features;
  }

  public boolean hasFeature(long bit) {
    return (features & bit) != 0;
  }

  /** Raises the used-buffer interrupt if the driver asked for one (flags or event index) for {@code queue}. */
  public void signalUsed(Virtqueue queue) {
    if (queue.isReady() && !queue.isBroken() && queue.needsInterrupt()) {
      transport.raiseInterrupt(generation, MmioTransport.INT_USED_BUFFER);
    }
  }

  /** Raises the configuration-change interrupt. */
  public void signalConfigChange() {
    transport.raiseInterrupt(generation, MmioTransport.INT_CONFIG_CHANGE);
  }

  /**
   * The guest broke the protocol beyond recovery: set DEVICE_NEEDS_RESET and interrupt. The device must not touch
   * its queues again until reset.
   */
  public void needsReset(String reason) {
    transport.deviceNeedsReset(generation, reason);
  }

  /** Serves one request chain: returns the used length (bytes written into its device-writable buffers). */
  @FunctionalInterface
  public interface RequestServer {
    int serve(DescriptorChain chain);
  }

  /**
   * Serves every available chain of the request queue {@code q} in order and signals the driver once: each valid
   * chain goes to {@code server}, a malformed one is returned with length 0 and its reason passed to
   * {@code refused}, and a corrupted queue puts the device in DEVICE_NEEDS_RESET. The loop of devices whose queues
   * carry independent requests (entropy, block).
   */
  public void serveRequests(Virtqueue q, RequestServer server, Consumer<String> refused) {
    while (true) {
      try {
        DescriptorChain chain = q.pop();
        if (chain == null) {
          break;
        }
        q.addUsed(chain.headIndex(), server.serve(chain));
      } catch (InvalidChainException e) {
        refused.accept(e.getMessage());
        q.addUsed(e.headIndex(), 0);
      } catch (QueueBrokenException e) {
        needsReset(e.getMessage());
        return;
      }
    }
    signalUsed(q);
  }

  /** False once the driver reset the device after this context was made. */
  public boolean isLive() {
    return transport.isGeneration(generation);
  }
}
