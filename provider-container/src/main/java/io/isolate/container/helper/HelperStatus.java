package io.isolate.container.helper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the helper's status file says about one run, parsed once. Lines (see isolate-helper.c): {@code exit N},
 * {@code signal N}, {@code exec-error ERRNO MESSAGE}, {@code setup-error MESSAGE},
 * {@code rusage UTIME_US STIME_US MAXRSS_KB}, {@code init-signal N}, {@code started PID}, {@code port HOST GUEST},
 * {@code init PID}.
 *
 * @param exitCode the workload's exit code, or -1 when it did not exit by itself
 * @param signal the signal that ended the workload, or 0
 * @param setupError the helper's message when setting up the isolate failed, or null
 * @param execError the message when the program could not be executed, or null
 * @param cpuTime user + system time of the isolate's processes that were reaped, or null
 * @param maxRssBytes the largest resident set of one of them, or -1
 * @param initSignal the signal that killed the isolate's init from outside, or 0
 * @param started whether the workload was executed (an end without exit or signal was then forced from outside)
 * @param ports the host port of each published guest port, by guest port
 * @param initPid the host pid of the isolate's init, or -1 before the helper said it
 */
public record HelperStatus(int exitCode, int signal, String setupError, String execError, Duration cpuTime,
    long maxRssBytes, int initSignal, boolean started, Map<Integer, Integer> ports, long initPid) {

  /** Reads and parses the status file; a missing file reads as empty. */
  public static HelperStatus read(Path file) {
    try {
      return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return parse(List.of());
    } catch (IOException e) {
      return new HelperStatus(-1, 0, "cannot read status file " + file + ": " + e, null, null, -1, 0, false,
          Map.of(), -1);
    }
  }

  public static HelperStatus parse(List<String> lines) {
    int exitCode = -1;
    int signal = 0;
    int initSignal = 0;
    String setupError = null;
    String execError = null;
    Duration cpu = null;
    long rss = -1;
    boolean started = false;
    Map<Integer, Integer> ports = new HashMap<>();
    long initPid = -1;
    for (String line : lines) {
      int space = line.indexOf(' ');
      if (space < 0) {
        continue;
      }
      String key = line.substring(0, space);
      String value = line.substring(space + 1);
      try {
        switch (key) {
          case "exit" -> exitCode = Integer.parseInt(value.trim());
          case "signal" -> signal = Integer.parseInt(value.trim());
          case "init-signal" -> initSignal = Integer.parseInt(value.trim());
          case "started" -> started = true;
          case "init" -> initPid = Long.parseLong(value.trim());
          case "port" -> {
            String[] f = value.trim().split(" ");
            ports.put(Integer.parseInt(f[1]), Integer.parseInt(f[0]));
          }
          case "setup-error" -> setupError = setupError == null ? value : setupError;
          case "exec-error" -> {
            int sp = value.indexOf(' ');
            execError = sp < 0 ? value : value.substring(sp + 1);
          }
          case "rusage" -> {
            String[] f = value.trim().split(" ");
            cpu = Duration.ofNanos((Long.parseLong(f[0]) + Long.parseLong(f[1])) * 1000);
            rss = Long.parseLong(f[2]) * 1024;
          }
          default -> {
            // unknown lines come from a newer helper; ignore them
          }
        }
      } catch (RuntimeException malformed) {
        // a torn line (the helper was killed mid-write); ignore it
      }
    }
    return new HelperStatus(exitCode, signal, setupError, execError, cpu, rss, initSignal, started, Map.copyOf(ports),
        initPid);
  }

  /** True when the workload ran and ended, by exit or by signal. */
  public boolean workloadEnded() {
    return exitCode >= 0 || signal > 0;
  }
}
