package io.isolate.pv.virtio;

/**
 * Host-side caps applied to every descriptor chain, whatever the guest asks for.
 *
 * @param maxRequestBytes the most bytes (readable plus writable) one chain may describe; bounds the host memory
 *     one request can make a device allocate
 * @param maxChainDescriptors the most descriptors one chain may have, direct and indirect together
 */
public record QueueLimits(long maxRequestBytes, int maxChainDescriptors) {
  /** 16 MiB and 4096 descriptors per chain. */
  public static final QueueLimits DEFAULT = new QueueLimits(16L << 20, 4096);

  public QueueLimits {
    if (maxRequestBytes <= 0) {
      throw new IllegalArgumentException("maxRequestBytes (" + maxRequestBytes + ") must be positive");
    }
    if (maxChainDescriptors <= 0) {
      throw new IllegalArgumentException("maxChainDescriptors (" + maxChainDescriptors + ") must be positive");
    }
  }
}
