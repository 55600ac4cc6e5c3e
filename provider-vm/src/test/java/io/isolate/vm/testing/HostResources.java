package io.isolate.vm.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.vm.vstate.VmPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This JVM's open file descriptors and memory mappings, to prove that VMs leave nothing behind. */
public record HostResources(long fds, long mappings) {
  public static HostResources measure() {
    VmPool.drain(); // pooled VMs and teardowns still pending: not leaks
    System.gc();
    try (var fds = Files.list(Path.of("/proc/self/fd")); var maps = Files.lines(Path.of("/proc/self/maps"))) {
      return new HostResources(fds.count(), maps.count());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Allows a little slack for the JVM's own threads, class loading and JIT code cache. */
  public static void assertNoLeak(HostResources before, HostResources after) {
    assertTrue(after.fds() <= before.fds() + 4, "file descriptors: " + before.fds() + " -> " + after.fds());
    assertTrue(after.mappings() <= before.mappings() + 40,
        "mappings: " + before.mappings() + " -> " + after.mappings());
  }
}
