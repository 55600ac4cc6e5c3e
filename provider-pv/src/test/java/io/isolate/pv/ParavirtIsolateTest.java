package io.isolate.pv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.ExitResult;
import io.isolate.GuestFailureException;
import io.isolate.HostFunction;
import io.isolate.Isolate;
import io.isolate.InvalidSpecException;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Mount;
import io.isolate.SizeUnit;
import io.isolate.Termination;
import io.isolate.Workload;
import io.isolate.vm.vstate.VmPool;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** PARAVIRT isolates through the public API, on real KVM. Skipped without /dev/kvm unless CI=true. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ParavirtIsolateTest {
  @TempDir static Path build;
  private static final Map<String, byte[]> IMAGES = new java.util.HashMap<>();

  @org.junit.jupiter.api.BeforeEach
  void needsKvm() {
    io.isolate.vm.testing.Prerequisites.requireKvm(); // per test, so that a skip is counted per test
  }

  @BeforeAll
  static void prepare() throws Exception {
    for (String name : List.of("echo", "sha256", "stream", "wc", "text", "kv")) {
      try (InputStream in = ParavirtIsolateTest.class.getResourceAsStream(
          "/META-INF/isolate/guest-sdk/examples/" + name + ".elf")) {
        IMAGES.put(name, in.readAllBytes());
      }
    }
    // test guests, built with the README's documented command against the SDK this build produced
    Path module = Path.of(System.getProperty("isolate.pv.sources", "."));
    String readme = Files.readString(module.resolve("README.md"));
    Matcher m = Pattern.compile("```sh\\n(gcc .*?)\\n```", Pattern.DOTALL).matcher(readme);
    assertTrue(m.find());
    String sdk = System.getProperty("isolate.pv.guestSdk",
        module.resolve("target/classes/META-INF/isolate/guest-sdk").toString());
    for (String guest : List.of("services", "misbehave", "disks")) {
      Files.copy(module.resolve("src/test/c/guests/" + guest + ".c"), build.resolve("guest.c"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      ProcessBuilder pb = new ProcessBuilder("sh", "-c", m.group(1)).directory(build.toFile())
          .redirectErrorStream(true);
      pb.environment().put("SDK", sdk);
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), out);
      IMAGES.put(guest, Files.readAllBytes(build.resolve("guest.elf")));
    }
  }

  private static Isolate.Builder isolate(String image, String... args) {
    return Isolate.builder().level(IsolationLevel.PARAVIRT)
        .workload(Workload.guestImage(IMAGES.get(image), image + ".elf", args));
  }

  /**
   * The example plugins, built by the build from guest-sdk/examples, answer through the public API the call table
   * that PROCESS answers (guest-sdk/examples/calls.tsv), list their handlers, and refuse unknown ones alike.
   */
  @Test
  void examplePluginsAnswerTheCallTableSharedWithProcess() {
    int checked = 0;
    for (String plugin : List.of("text", "kv")) {
      try (Isolate isolate = isolate(plugin)
          .hostFunction(io.isolate.HostFunction.ofBytes("kv.get", io.isolate.conformance.PluginCallTable::kvGet))
          .config(io.isolate.conformance.PluginCallTable.KV_CONFIG).build()) {
        checked += io.isolate.conformance.PluginCallTable.check(plugin, isolate::call);
        assertTrue(isolate.functions().contains(plugin.equals("text") ? "upper" : "lookup"),
            isolate.functions()::toString);
        assertThrows(io.isolate.CallException.class, () -> isolate.call("absent", new byte[0]));
      }
    }
    assertEquals(11, checked, "calls in the table");
  }

  @Test
  void callsTheEchoGuestWithSmallAndMultiMebibytePayloads() {
    try (Isolate isolate = isolate("echo").build()) {
      assertEquals("ping", new String(isolate.call("echo", "ping".getBytes())));
      byte[] big = new byte[5 << 20];
      new Random(5).nextBytes(big);
      assertArrayEquals(big, isolate.call("echo", big));
      for (int i = 0; i < 300; i++) {
        assertEquals("n" + i, new String(isolate.call("echo", ("n" + i).getBytes())));
      }
    }
  }

  @Test
  void aPayloadLargerThanTheGuestsMemoryFailsTheCallAndTheGuestLivesOn() {
    try (Isolate isolate = isolate("echo")
        .limits(io.isolate.Limits.builder().memory(8, io.isolate.SizeUnit.MEGABYTES)
            .wallTime(java.time.Duration.ofSeconds(3)).build()).build()) {
      long t0 = System.nanoTime();
      io.isolate.GuestFailureException e = assertThrows(io.isolate.GuestFailureException.class,
          () -> isolate.call("echo", new byte[12 << 20]));
      assertTrue(System.nanoTime() - t0 < java.time.Duration.ofSeconds(10).toNanos(), "no hang");
      assertTrue(e.getMessage().contains("does not fit in the guest heap"), e.getMessage());
      assertEquals("still here", new String(isolate.call("echo", "still here".getBytes())));
    }
  }

  @Test
  void servesConcurrentCallersOfOneIsolate() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try (Isolate isolate = isolate("sha256").build()) {
      List<Future<?>> jobs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        jobs.add(callers.submit(() -> {
          Random random = new Random(thread);
          for (int i = 0; i < 40; i++) {
            byte[] input = new byte[random.nextInt(200_000)];
            random.nextBytes(input);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(input), isolate.call("sha256", input));
          }
          return null;
        }));
      }
      for (Future<?> job : jobs) {
        job.get(50, TimeUnit.SECONDS);
      }
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void letsTheGuestCallHostFunctionsAndUseEntropy() {
    try (Isolate isolate = isolate("services")
        .hostFunction(HostFunction.ofBytes("upper", in -> new String(in).toUpperCase().getBytes()))
        .build()) {
      assertEquals("FROM THE GUEST", new String(isolate.call("via_host", "from the guest".getBytes())));
      assertEquals(16 << 10, isolate.call("random", new byte[] {16}).length);
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("fail", new byte[0]));
      assertEquals(Termination.TRAP, e.termination());
      assertTrue(e.getMessage().contains("this handler always fails"), e.getMessage());
    }
  }

  @Test
  void runsAGuestMainToItsExitWithItsOutput() {
    try (Isolate isolate = isolate("stream", "1000000").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), r::toString);
      assertEquals(0, r.exitCode());
      assertEquals(1_000_000, r.stdout().length);
      assertTrue(r.stdoutText().startsWith("0123456789abcdef0123"));
      assertTrue(r.stderrText().contains("guest INFO: streamed 1000000 bytes"), r.stderrText());
    }
  }

  @Test
  void stopsOutputAtTheOutputLimit() {
    try (Isolate isolate = isolate("stream", "10000000")
        .limits(Limits.builder().output(256, SizeUnit.KILOBYTES).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.OUTPUT_LIMIT, r.termination(), r::toString);
      assertTrue(r.stdout().length <= 256 << 10);
    }
  }

  @Test
  void stopsAGuestSpinningPastItsDeadline() {
    try (Isolate isolate = isolate("misbehave", "spin")
        .limits(Limits.builder().wallTime(Duration.ofMillis(300)).build()).build()) {
      long t0 = System.nanoTime();
      ExitResult r = isolate.run();
      assertEquals(Termination.TIMEOUT, r.termination(), r::toString);
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));
    }
  }

  @Test
  void stopsAGuestSpinningPastItsCpuTimeInARunAndInACall() {
    Limits cpu = Limits.builder().cpuTime(Duration.ofMillis(200)).wallTime(Duration.ofSeconds(20)).build();
    try (Isolate isolate = isolate("misbehave", "spin").limits(cpu).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.CPU_LIMIT, r.termination(), r::toString);
      assertTrue(r.detail().contains("CPU-time limit"), r.detail());
      assertTrue(r.usage().wallTime().toMillis() < 5_000, r::toString);
    }
    try (Isolate isolate = isolate("misbehave").limits(cpu).build()) {
      assertEquals("x", new String(isolate.call("echo", "x".getBytes())));
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("hang", new byte[0]));
      assertEquals(Termination.CPU_LIMIT, e.termination(), e::getMessage);
      assertEquals("y", new String(isolate.call("echo", "y".getBytes())), "a fresh guest serves the next call");
    }
  }

  @Test
  void reportsAGuestFaultWithWhereItHappened() {
    try (Isolate isolate = isolate("misbehave", "crash").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAULT, r.termination(), r::toString);
      assertTrue(r.detail().contains("#PF") && r.detail().contains("address 0x8"), r.detail());
    }
    try (Isolate isolate = isolate("misbehave", "syscall").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAULT, r.termination(), r::toString);
      assertTrue(r.detail().contains("system call 39"), r.detail());
    }
  }

  @Test
  void containsAGuestThatCorruptsItsRingsAndWritesGarbageToDeviceRegisters() {
    try (Isolate isolate = isolate("misbehave", "hostile").build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), () -> r + "\n" + r.stderrText());
      assertEquals(0, r.exitCode());
      String log = r.stderrText();
      assertTrue(log.contains("lies outside guest memory"), log);
      assertTrue(log.contains("the chain loops"), log);
      assertTrue(log.contains("available index 1002"), log);
      assertTrue(log.contains("guest INFO: needs reset seen"), log);
      assertTrue(log.contains("guest INFO: garbage written"), log);
    }
  }

  /**
   * A guest points disk reads, rng requests and a LOG buffer into the pages the VMM keeps below 0xf000 (boot
   * information, GDT/IDT/TSS, page tables; ABI.md, section 1). Each request is refused; the guest's boot page is
   * unchanged, and a fault it then makes on purpose is delivered through the IDT, GDT, TSS and page tables and
   * reported as a #PF rather than a triple fault, so they are intact. Buffers starting at 0xf000 are served.
   */
  @Test
  void refusesDeviceAndLogBuffersInTheVmmReservedPages(@TempDir Path dir) throws Exception {
    byte[] pattern = new byte[8192];
    for (int i = 0; i < pattern.length; i++) {
      pattern[i] = (byte) (i * 7 + 3); // non-zero: a GDT or IDT overwritten with it cannot work by accident
    }
    Path disk = Files.write(dir.resolve("pattern.img"), pattern);
    Map<List<String>, List<String>> attacks = new java.util.LinkedHashMap<>();
    attacks.put(List.of("disk-boot"), List.of("disk-boot: -2"));
    attacks.put(List.of("disk-gdt"), List.of("disk-gdt: -2"));
    attacks.put(List.of("rng-pagetables"), List.of("rng-pagetables: -3"));
    attacks.put(List.of("disk-straddle", "rng-straddle", "log-boot", "disk-above", "rng-above"),
        List.of("disk-straddle: -2", "rng-straddle: -3", "log-boot: -14", "disk-above: 0", "rng-above: 0"));
    for (var attack : attacks.entrySet()) {
      List<String> args = new ArrayList<>(List.of("reserved"));
      args.addAll(attack.getKey());
      try (Isolate isolate = isolate("misbehave", args.toArray(String[]::new))
          .mount(Mount.image(disk, "/pattern")).build()) {
        ExitResult r = isolate.run();
        String all = attack.getKey() + ": " + r + "\nstdout: " + r.stdoutText() + "\nstderr: " + r.stderrText();
        assertEquals(Termination.FAULT, r.termination(), all);
        assertTrue(r.detail().contains("#PF") && r.detail().contains("address 0x8"), all);
        for (String line : attack.getValue()) {
          assertTrue(r.stdoutText().contains(line + "\n"), all);
        }
        assertTrue(r.stdoutText().contains("boot page intact: 1\n"), all);
        assertTrue(r.stderrText().contains("VMM-reserved pages below 0xf000"), all);
      }
    }
  }

  /** LOG lines count against the output limit like stdout and stderr, and a guest that floods them is ended. */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void endsAGuestFloodingLogLinesAtTheOutputLimit() {
    long limit = 256 << 10;
    try (Isolate isolate = isolate("misbehave", "logflood")
        .limits(Limits.builder().outputBytes(limit).wallTime(Duration.ofSeconds(60)).build()).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.OUTPUT_LIMIT, r.termination(), r::toString);
      assertTrue(r.stderrText().contains("guest INFO: xxxx"), r::toString);
      assertTrue(r.stdout().length + r.stderr().length <= limit, r::toString);
    }
  }

  @Test
  void timesOutACallTheGuestNeverAnswersAndStillCloses() {
    Isolate isolate = isolate("misbehave").limits(Limits.builder().wallTime(Duration.ofMillis(500)).build()).build();
    try {
      assertEquals("x", new String(isolate.call("echo", "x".getBytes())));
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("hang", new byte[0]));
      assertEquals(Termination.TIMEOUT, e.termination());
    } finally {
      long t0 = System.nanoTime();
      isolate.close();
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "close is prompt");
    }
  }

  @Test
  void failsCallsWhenTheGuestFaultsInAHandler() {
    try (Isolate isolate = isolate("misbehave").build()) {
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> isolate.call("crash", new byte[0]));
      assertEquals(Termination.FAULT, e.termination());
      assertTrue(e.getMessage().contains("#PF"), e.getMessage());
    }
  }

  @Test
  void reportsAnImageThatIsNotAGuestAsFailedToStart() {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PARAVIRT)
        .workload(Workload.guestImage("not an elf".getBytes(), "junk.elf")).build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination());
      assertTrue(r.detail().contains("not an ELF"), r.detail());
    }
  }

  private static String fnv(byte[] data) {
    long h = 0xcbf29ce484222325L;
    for (byte b : data) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return Long.toHexString(h);
  }

  @Test
  void readsImageAndFileDisksAndWritesAScratchDiskThatVanishesAfterwards(@TempDir Path dir) throws Exception {
    byte[] image = new byte[(3 << 20) + 1000]; // over the SDK's 1 MiB per request, not whole sectors
    new Random(11).nextBytes(image);
    Path file = Files.write(dir.resolve("dataset.img"), image);
    byte[] conf = "threads=4\n".getBytes(StandardCharsets.UTF_8);
    byte[] padded = java.util.Arrays.copyOf(image, (image.length + 511) / 512 * 512);
    try (Isolate isolate = isolate("disks", "/dataset", "/conf", "/scratch", "/absent")
        .mount(Mount.image(file, "/dataset"))
        .mount(Mount.file("/conf", conf))
        .mount(Mount.tmpfs("/scratch", 1 << 20))
        .build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.EXITED, r.termination(), () -> r + "\n" + r.stderrText());
      assertEquals(0, r.exitCode(), r::stdoutText);
      String out = r.stdoutText();
      assertTrue(out.contains("/dataset size=" + padded.length + " ro=1 fnv=" + fnv(padded) + "\n"), out);
      assertTrue(out.contains("/conf size=512 ro=1 fnv=" + fnv(java.util.Arrays.copyOf(conf, 512)) + "\n"), out);
      assertTrue(out.contains("/scratch size=1048576 ro=0 fnv=" + fnv(new byte[1 << 20]) + "\n"), out);
      assertTrue(out.contains("/absent missing\n"), out);
      assertTrue(out.contains("scratch ok\n"), out);
      assertTrue(out.contains("write to read-only: -2\n"), out);
      assertTrue(out.contains("read past the end: -2\n"), out);
      assertTrue(out.contains("unaligned read: -1\n"), out);
      assertTrue(r.stderrText().contains("write to a read-only disk"), r.stderrText());
    }
    assertArrayEquals(image, Files.readAllBytes(file), "the image is untouched");
    assertEquals(List.of(), scratchFilesIn(Path.of(System.getProperty("java.io.tmpdir"))), "no scratch file left");
  }

  @Test
  void runsWithDisksOverAndOverLeavingNoDescriptorOrScratchFile(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("small.img"), new byte[4096]);
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Isolate.Builder b = isolate("disks", "/small", "/scratch").mount(Mount.image(file, "/small"))
        .mount(Mount.tmpfs("/scratch", 64 << 10));
    try (Isolate warm = b.build()) {
      assertEquals(0, warm.run().exitCode());
    }
    VmPool.drain();
    long fds = countEntries(Path.of("/proc/self/fd"));
    for (int i = 0; i < 50; i++) {
      try (Isolate isolate = b.build()) {
        ExitResult r = isolate.run();
        assertTrue(r.stdoutText().contains("scratch ok"), r::toString);
      }
    }
    VmPool.drain();
    assertTrue(countEntries(Path.of("/proc/self/fd")) <= fds + 5, "file descriptors leak");
    assertEquals(List.of(), scratchFilesIn(tmp), "scratch files leak");
    assertEquals(List.of(), openFilesMatching("isolate-scratch-", file.toString()), "disk files still open");
  }

  /** Scratch disk files in {@code dir} (there should be none: they are unlinked as soon as they are opened). */
  private static List<Path> scratchFilesIn(Path dir) throws Exception {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("isolate-scratch-")).toList();
    }
  }

  /** The open files of this JVM whose path contains one of {@code parts} (unlinked files end in " (deleted)"). */
  private static List<String> openFilesMatching(String... parts) throws Exception {
    List<String> found = new ArrayList<>();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        String target;
        try {
          target = Files.readSymbolicLink(fd).toString();
        } catch (java.io.IOException e) {
          continue; // closed meanwhile
        }
        for (String part : parts) {
          if (target.contains(part)) {
            found.add(target);
          }
        }
      }
    }
    return found;
  }

  @Test
  void refusesAnImageSwappedForASymbolicLinkBeforeTheRun(@TempDir Path dir) throws Exception {
    Path image = Files.write(dir.resolve("disk.img"), new byte[512]);
    Isolate.Builder b = isolate("disks", "/disk").mount(Mount.image(image, "/disk"));
    Files.delete(image);
    Files.createSymbolicLink(image, Path.of("/etc/hostname"));
    try (Isolate isolate = b.build()) {
      ExitResult r = isolate.run();
      assertEquals(Termination.FAILED_TO_START, r.termination(), r::toString);
      assertTrue(r.detail().contains("not a regular file"), r.detail());
    }
  }

  @Test
  void theWcExampleCountsATextImage(@TempDir Path dir) throws Exception {
    Path notes = Files.writeString(dir.resolve("notes.txt"), "one two\nthree\n\tfour  five six\n");
    try (Isolate isolate = isolate("wc", "/notes", "/none").mount(Mount.image(notes, "/notes")).build()) {
      ExitResult r = isolate.run();
      assertEquals(1, r.exitCode(), r::toString);
      assertEquals("      3       6      30 /notes\nwc: /none: no such disk\n", r.stdoutText()); // as wc(1)
    }
  }

  @Test
  void refusesAScratchDiskOverItsCapAndMoreDisksThanTheGuestCanFind() {
    InvalidSpecException big = assertThrows(InvalidSpecException.class,
        () -> isolate("disks").mount(Mount.tmpfs("/huge", (64L << 30) + 1)).build());
    assertTrue(big.getMessage().contains("at most 64 GiB"), big.getMessage());
    Isolate.Builder many = isolate("disks");
    for (int i = 0; i <= 16; i++) {
      many.mount(Mount.tmpfs("/d" + i, 4096));
    }
    InvalidSpecException e = assertThrows(InvalidSpecException.class, many::build);
    assertTrue(e.getMessage().contains("at most 16 disks"), e.getMessage());
  }

  @Test
  void refusesDirectoriesAndLongNamesAsDisks(@TempDir Path dir) {
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> isolate("disks").mount(Mount.readOnly(dir, "/data")).build());
    assertTrue(e.getMessage().contains("a directory cannot be a disk"), e.getMessage());
    e = assertThrows(InvalidSpecException.class,
        () -> isolate("disks").mount(Mount.tmpfs("/a/name/longer/than/twenty", 4096)).build());
    assertTrue(e.getMessage().contains("names the disk"), e.getMessage());
  }

  @Test
  void createsCallsAndClosesManyIsolatesLeakingNothing() throws Exception {
    try (Isolate warm = isolate("echo").build()) {
      warm.call("echo", "warm".getBytes()); // JNA, signal handler and thread pools set up once
    }
    VmPool.drain(); // VMs made ahead of time and teardowns in progress: none, before and after
    long fds = countEntries(Path.of("/proc/self/fd"));
    long maps = Files.readAllLines(Path.of("/proc/self/maps")).size();
    long t0 = System.nanoTime();
    int n = 200;
    for (int i = 0; i < n; i++) {
      try (Isolate isolate = isolate("echo").build()) {
        assertEquals("hi", new String(isolate.call("echo", "hi".getBytes())));
      }
    }
    System.out.println("ParavirtIsolateTest: create + first call + close "
        + (System.nanoTime() - t0) / n / 1000 + " us per isolate");
    VmPool.drain();
    assertTrue(countEntries(Path.of("/proc/self/fd")) <= fds + 5, "file descriptors leak");
    assertTrue(Files.readAllLines(Path.of("/proc/self/maps")).size() <= maps + 50, "mappings leak");
  }

  private static long countEntries(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.count();
    }
  }
}
