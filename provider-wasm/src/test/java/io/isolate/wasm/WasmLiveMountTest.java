package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounts are the host's directories, live: a file far larger than memory is read through one with memory flat, and a
 * full disk reaches the guest as {@code ENOSPC} at the write that filled it, with every byte the guest was told it
 * wrote on the host. The disk is a small tmpfs (mounting it needs root; with {@code CI=true} a missing root fails).
 */
class WasmLiveMountTest {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  @Test
  void aFullDiskIsEnospcAtTheWriteThatFilledItAndTheHostKeepsEveryByteTheGuestWasToldItWrote(@TempDir Path dir)
      throws Exception {
    Path out = Files.createDirectory(dir.resolve("out"));
    mountTmpfs(out, "256k");
    try {
      Files.writeString(out.resolve("other.txt"), "untouched");
      ExitResult r;
      try (Isolate isolate = Fixtures.process("fsprobe", "fill", "/out/data.bin", "3000", "write", "/out/more.txt",
          "x").mount(Mount.readWrite(out, "/out")).build()) {
        r = isolate.run();
      }
      assertTrue(r.isSuccess(), r::toString);
      String[] lines = r.stdoutText().split("\n");
      assertTrue(lines[0].startsWith("fill /out/data.bin: wrote ") && lines[0].endsWith(
          " then ERR No space left on device"), lines[0]);
      assertEquals("write /out/more.txt: ERR No space left on device", lines[1]);
      long told = Long.parseLong(lines[0].split(" ")[3]);
      assertTrue(told > 100_000, "a 256 KiB disk took only " + told + " bytes");
      byte[] onHost = Files.readAllBytes(out.resolve("data.bin"));
      assertEquals(told, onHost.length, "the host file holds exactly what the guest was told it wrote");
      for (int i = 0; i < onHost.length; i++) {
        if (onHost[i] != (byte) (i % 251)) {
          fail("byte " + i + " of the host file is " + onHost[i] + ", the guest wrote " + (i % 251));
        }
      }
      assertEquals("untouched", Files.readString(out.resolve("other.txt")));
    } finally {
      run("umount", out.toString());
    }
  }

  @Test
  void readsATwoGibibyteSparseFileThroughAMountWithMemoryFlat(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectory(dir.resolve("data"));
    Path file = data.resolve("big.bin");
    long size = 2L << 30;
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      // sparse, with marks at the start, across the 1 GiB boundary and at the very end, so the hash sees them
      c.write(ByteBuffer.wrap("start of the file".getBytes()), 0);
      c.write(ByteBuffer.wrap("one GiB in".getBytes()), (1L << 30) - 3);
      byte[] tail = "the end".getBytes();
      c.write(ByteBuffer.wrap(tail), size - tail.length);
    }
    assertEquals(size, Files.size(file));
    String expected = size + " " + String.format("%016x", fnv(file));

    MemoryMXBean heap = ManagementFactory.getMemoryMXBean();
    System.gc();
    long before = heap.getHeapMemoryUsage().getUsed();
    AtomicLong highest = new AtomicLong(before);
    // What the heap retains while the file is read: sampled after a collection, since each read leaves its
    // buffer behind as garbage (the JVM's business, gone at the next young collection).
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        System.gc();
        highest.accumulateAndGet(heap.getHeapMemoryUsage().getUsed(), Math::max);
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.setDaemon(true);
    sampler.start();
    ExitResult r;
    try (Isolate isolate = Isolate.builder().level(io.isolate.IsolationLevel.PROCESS)
        .workload(Workload.wasm(Fixtures.wasm("fsprobe"), "hash", "/data/big.bin"))
        .limits(Limits.builder().memory(16, SizeUnit.MEGABYTES).wallTime(Duration.ofMinutes(3)).build())
        .mount(Mount.readOnly(data, "/data")).build()) {
      r = isolate.run();
    } finally {
      sampler.interrupt();
      sampler.join();
    }
    assertTrue(r.isSuccess(), r::toString);
    assertEquals("hash /data/big.bin: OK " + expected, r.stdoutText().trim());
    // The guest had 16 MiB; the JVM's heap never retained more than a small part of the file (in the copying design
    // it held all of it, and refused anything over 256 MiB).
    assertTrue(r.usage().peakMemoryBytes().orElseThrow() <= 16L << 20, () -> "guest memory " + r.usage());
    long grew = highest.get() - before;
    assertTrue(grew < 128L << 20, "the heap retained " + (grew >> 20) + " MiB more while a 2 GiB file was read");
  }

  /** The guest's hash: FNV-1a over 8-byte little-endian words, the last partial word zero-padded. */
  private static long fnv(Path file) throws IOException {
    long h = FNV_OFFSET;
    ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel c = FileChannel.open(file)) {
      while (true) {
        buf.clear();
        while (buf.hasRemaining() && c.read(buf) > 0) {
          // a whole buffer, as the guest reads it
        }
        if (buf.position() == 0) {
          return h;
        }
        while (buf.position() % 8 != 0) {
          buf.put((byte) 0);
        }
        buf.flip();
        while (buf.hasRemaining()) {
          h = (h ^ buf.getLong()) * FNV_PRIME;
        }
      }
    }
  }

  private static void mountTmpfs(Path dir, String size) throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root && "true".equals(System.getenv("CI"))) {
      fail("CI=true: mounting a tmpfs for the disk-full test needs root, and this JVM is not root");
    }
    assumeTrue(root, "mounting a tmpfs needs root");
    int status = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
    assertEquals(0, status, "mount -t tmpfs failed although we are root");
  }

  private static int run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).inheritIO().start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }
}
