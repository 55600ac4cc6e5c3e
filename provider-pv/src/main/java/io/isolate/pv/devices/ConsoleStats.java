package io.isolate.pv.devices;

/**
 * Counters of a {@link ConsoleDevice}.
 *
 * @param stdoutBytes bytes the guest wrote to port 0 and the output accepted
 * @param droppedBytes bytes of port 0 dropped because the output budget was exhausted
 * @param outputLimitExceeded true once the output budget refused bytes
 * @param throttled true while port 0 output waits for the rate limiter
 * @param badChains descriptor chains or control messages refused as malformed
 */
public record ConsoleStats(long stdoutBytes, long droppedBytes, boolean outputLimitExceeded, boolean throttled,
    long badChains) {}
