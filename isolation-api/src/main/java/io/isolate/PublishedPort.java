package io.isolate;

/**
 * A TCP port inside an OS-level isolate that the host's 127.0.0.1 forwards to it.
 *
 * @param hostPort the host port, or 0 for a free one chosen when the isolate starts (see
 *     {@link Isolate#mappedPort(int)})
 * @param guestPort the port inside the isolate
 */
public record PublishedPort(int hostPort, int guestPort) {
  public PublishedPort {
    if (hostPort < 0 || hostPort > 65535) {
      throw new InvalidSpecException("published host port (" + hostPort + ") must be between 1 and 65535, or 0 "
          + "for a free one");
    }
    if (guestPort < 1 || guestPort > 65535) {
      throw new InvalidSpecException("published guest port (" + guestPort + ") must be between 1 and 65535");
    }
  }

  /** Whether the host port is chosen when the isolate starts. */
  public boolean isRandom() {
    return hostPort == 0;
  }

  @Override
  public String toString() {
    return (hostPort == 0 ? "any" : Integer.toString(hostPort)) + "->" + guestPort;
  }
}
