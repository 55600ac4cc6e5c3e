package io.isolate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuilderValidationTest {

  @Test
  void rejectsNegativeMemoryNamingTheValue() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> Limits.builder().memory(-5, SizeUnit.MEGABYTES));
    assertEquals("memory (-5 MEGABYTES) must be positive", e.getMessage());
  }

  @Test
  void rejectsMemoryBelowOneMebibyte() {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Limits.builder().memoryBytes(1000));
    assertTrue(e.getMessage().contains("1000 bytes"), e.getMessage());
  }

  @Test
  void rejectsZeroWallTimeCpusAndPids() {
    assertThrows(InvalidSpecException.class, () -> Limits.builder().wallTime(Duration.ZERO));
    assertThrows(InvalidSpecException.class, () -> Limits.builder().cpus(0));
    assertThrows(InvalidSpecException.class, () -> Limits.builder().cpus(Double.NaN));
    assertThrows(InvalidSpecException.class, () -> Limits.builder().pids(0));
    assertThrows(InvalidSpecException.class, () -> Limits.builder().outputBytes(-1));
  }

  @Test
  void defaultsAreTight() {
    Limits d = Limits.DEFAULT;
    assertEquals(64L << 20, d.memoryBytes());
    assertEquals(64, d.pids());
    assertEquals(Duration.ofSeconds(30), d.wallTime());
    assertEquals(16L << 20, d.outputBytes());
    IsolateSpec spec = Isolate.builder().level(IsolationLevel.OS).workload(Workload.command("/bin/true")).spec();
    assertEquals(Network.NONE, spec.network());
    assertTrue(spec.mounts().isEmpty());
    assertTrue(spec.env().isEmpty());
    assertEquals(Input.Kind.NONE, spec.stdin().kind());
  }

  @Test
  void rejectsRelativeAndUnnormalizedGuestPaths(@TempDir Path dir) {
    assertThrows(InvalidSpecException.class, () -> Mount.readOnly(dir, "data"));
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Mount.readOnly(dir, "/data/../etc"));
    assertTrue(e.getMessage().contains("'/data/../etc'"), e.getMessage());
    assertThrows(InvalidSpecException.class, () -> Mount.file("/a//b", new byte[1]));
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().workingDir("tmp"));
    assertEquals("/data", Mount.readOnly(dir, "/data/").guestPath());
  }

  @Test
  void rejectsMissingHostDirectory(@TempDir Path dir) {
    InvalidSpecException e = assertThrows(InvalidSpecException.class,
        () -> Mount.readWrite(dir.resolve("absent"), "/data"));
    assertTrue(e.getMessage().contains("not an existing directory"), e.getMessage());
  }

  @Test
  void aCpuTimeLimitIsPositiveAndOptional() {
    assertTrue(Limits.DEFAULT.cpuTime().isEmpty());
    Limits l = Limits.builder().cpuTime(Duration.ofMillis(250)).build();
    assertEquals(Duration.ofMillis(250), l.cpuTime().orElseThrow());
    assertEquals(l, l.toBuilder().build());
    assertTrue(l.toString().contains("cpuTime=PT0.25S"), l.toString());
    assertThrows(InvalidSpecException.class, () -> Limits.builder().cpuTime(Duration.ZERO));
    assertThrows(InvalidSpecException.class, () -> Limits.builder().cpuTime(Duration.ofMillis(-1)));
  }

  @Test
  void anImageMustBeARegularFileNamedDirectly(@TempDir Path dir) throws Exception {
    Path image = Files.write(dir.resolve("disk.img"), new byte[1000]);
    Mount m = Mount.image(image, "/disk");
    assertEquals(Mount.Kind.IMAGE, m.kind());
    assertEquals(1000, m.sizeBytes());
    assertEquals(image.toAbsolutePath(), m.hostPath().orElseThrow());
    assertEquals(m.toString(), Mount.parse(Mount.Kind.IMAGE, image + ":/disk").toString());
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> Mount.image(dir, "/disk"));
    assertTrue(e.getMessage().contains("not an existing regular file"), e.getMessage());
    Path link = Files.createSymbolicLink(dir.resolve("link.img"), image);
    assertThrows(InvalidSpecException.class, () -> Mount.image(link, "/disk"));
    assertThrows(InvalidSpecException.class, () -> Mount.image(image, "/"));
    assertThrows(InvalidSpecException.class, () -> Mount.image(image, "relative"));
  }

  @Test
  void rejectsTwoMountsOnOneGuestPath(@TempDir Path dir) {
    Isolate.Builder b = Isolate.builder().mount(Mount.readOnly(dir, "/data"));
    assertThrows(InvalidSpecException.class, () -> b.mount(Mount.file("/data", new byte[0])));
  }

  @Test
  void requiresLevelAndWorkload() {
    InvalidSpecException noLevel = assertThrows(InvalidSpecException.class, () -> Isolate.builder().spec());
    assertTrue(noLevel.getMessage().startsWith("level is not set"));
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().level(IsolationLevel.PROCESS).spec());
  }

  @Test
  void refusesNetworkAndRootfsOutsideOsLevel(@TempDir Path dir) throws Exception {
    Path module = Files.write(dir.resolve("m.wasm"), new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    Isolate.Builder b = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module));
    assertThrows(InvalidSpecException.class, () -> b.network(Network.HOST).spec());
    assertThrows(InvalidSpecException.class, () -> b.network(Network.NONE).rootfs(Rootfs.directory(dir)).spec());
  }

  @Test
  void validatesEnvHostnameAndSyscallNames() {
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().env("1BAD", "x"));
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().env("OK", "a\0b"));
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().hostname("-bad"));
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().denySyscalls("Ptrace;"));
    Isolate.builder().env("PATH", "/bin").hostname("box-1").denySyscalls("ptrace");
  }

  @Test
  void rejectsEmptyOrNulArguments(@TempDir Path dir) {
    assertThrows(InvalidSpecException.class, () -> Workload.command(" "));
    assertThrows(InvalidSpecException.class, () -> Workload.command("/bin/echo", "a\0"));
    assertThrows(InvalidSpecException.class, () -> Workload.wasm(new byte[0]));
    assertThrows(InvalidSpecException.class, () -> Workload.elf(dir.resolve("missing")));
  }

  @Test
  void specRoundTripsThroughToBuilder(@TempDir Path dir) {
    IsolateSpec spec = Isolate.builder().level(IsolationLevel.OS).workload(Workload.command("/bin/echo", "hi"))
        .mount(Mount.readOnly(dir, "/data")).env("A", "1").hostname("h").spec();
    IsolateSpec again = spec.toBuilder().spec();
    assertEquals(spec.mounts(), again.mounts());
    assertEquals(spec.env(), again.env());
    assertEquals(spec.workload(), again.workload());
    assertEquals("h", again.hostname());
  }

  @Test
  void parsesSizesAndLevels() {
    assertEquals(64L << 20, SizeUnit.parseBytes("64m"));
    assertEquals(512L << 10, SizeUnit.parseBytes("512K"));
    assertEquals(1L << 30, SizeUnit.parseBytes("1GiB"));
    assertEquals(4096, SizeUnit.parseBytes("4096"));
    assertThrows(InvalidSpecException.class, () -> SizeUnit.parseBytes("lots"));
    assertEquals(IsolationLevel.OS, IsolationLevel.parse("os"));
    assertThrows(InvalidSpecException.class, () -> IsolationLevel.parse("docker"));
    assertEquals("64 MiB", SizeUnit.format(64L << 20));
  }

  @Test
  void validatesPublishedPorts() {
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().publishPort(-1, 80));
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().publishPort(0));
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().publishPort(80).publishPort(8080, 80));
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().publishPort(8080, 70000));
    assertThrows(InvalidSpecException.class, () -> Isolate.builder().publishPort(8080, 80).publishPort(8080, 81));
    IsolateSpec spec = Isolate.builder().level(IsolationLevel.OS).workload(Workload.command("/bin/true"))
        .network(Network.LOOPBACK).publishPort(8080, 80).spec();
    assertEquals(java.util.List.of(new PublishedPort(8080, 80)), spec.publishedPorts());
    assertTrue(spec.toBuilder().publishPort(5432).spec().publishedPorts().get(1).isRandom());
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> spec.toBuilder()
        .network(Network.NONE).spec());
    assertTrue(e.getMessage().contains("need level OS with network LOOPBACK"), e.getMessage());
  }
}
