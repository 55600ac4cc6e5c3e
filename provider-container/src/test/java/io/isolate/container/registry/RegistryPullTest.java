package io.isolate.container.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Rootfs;
import io.isolate.StartFailedException;
import io.isolate.Termination;
import io.isolate.Workload;
import io.isolate.container.ContainerSettings;
import io.isolate.container.Prerequisites;
import io.isolate.container.RegistrySettings;
import io.isolate.container.image.ImageStore;
import io.isolate.container.image.TestImages;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images pulled from a real registry on 127.0.0.1 (pushed there by skopeo) and run at the OS level: by tag, by digest,
 * through a manifest list, with Basic authentication from Docker's credentials file; a corrupt blob is refused with
 * nothing cached, and a pull cut midway resumes where it stopped.
 */
class RegistryPullTest {
  /**
   * Made part of every repository name: the image cache outlives a run (it is the user's), and remembers a tag's
   * manifest by registry address, so a registry of an earlier run given the same port would answer from the cache
   * and a test of what the registry asks (authentication, the requests it sees) would see nothing asked.
   */
  private static final String RUN = "-" + UUID.randomUUID().toString().substring(0, 8);

  @TempDir static Path dir;
  static LocalRegistry registry;
  static byte[] busybox;

  @BeforeAll
  static void start() throws Exception {
    Prerequisites.requireOsLevel();
    Prerequisites.requireFile("/bin/busybox", "Debian package busybox-static");
    busybox = TestImages.busyboxLayer();
    registry = LocalRegistry.start(dir.resolve("registry"), false);
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  /** A layer no other test has: its digest is new to the cache. */
  private static byte[] markerLayer(String text) {
    return TestImages.gz(l -> l.file("marker", text + "\n").file("unique", UUID.randomUUID().toString()));
  }

  private static Path layout(String name, List<byte[]> layers) throws IOException {
    return TestImages.ociLayout(dir.resolve("layouts").resolve(name + "-" + UUID.randomUUID()), "1", layers);
  }

  private static ExitResult run(Rootfs rootfs, ContainerSettings settings, String script) {
    Isolate.Builder b = Isolate.builder().level(IsolationLevel.OS).rootfs(rootfs)
        .workload(Workload.command("/bin/sh", "-c", script));
    if (settings != null) {
      b.settings(settings);
    }
    try (Isolate isolate = b.build()) {
      return isolate.run();
    }
  }

  private static String manifestDigest(LocalRegistry r, String name, String tag) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create("http://" + r.host() + "/v2/" + name + "/manifests/" + tag)
        .toURL().openConnection();
    c.setRequestProperty("Accept", ImagePuller.OCI_MANIFEST + ", " + ImagePuller.OCI_INDEX);
    assertEquals(200, c.getResponseCode());
    String digest = c.getHeaderField("Docker-Content-Digest");
    c.disconnect();
    return digest;
  }

  @Test
  void pullsByTagAndRunsTheImage() throws Exception {
    registry.push(layout("tag", List.of(busybox, markerLayer("by tag"))), "1", "team" + RUN + "/tool:1", false);
    List<RegistrySettings.PullProgress> progress = new CopyOnWriteArrayList<>();
    ContainerSettings settings = ContainerSettings.fromSystemProperties()
        .withRegistries(RegistrySettings.fromSystemProperties().withProgress(progress::add));
    ExitResult r = run(Rootfs.image(registry.host() + "/team" + RUN + "/tool:1"), settings, "cat /marker");
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals("by tag\n", r.stdoutText());
    assertTrue(progress.stream().anyMatch(RegistrySettings.PullProgress::done), progress::toString);
    // the second start needs no download: the tag's manifest and the layers come from the cache
    progress.clear();
    ExitResult again = run(Rootfs.image(registry.host() + "/team" + RUN + "/tool:1"), settings, "cat /marker");
    assertEquals("by tag\n", again.stdoutText(), again::toString);
    assertTrue(progress.isEmpty(), progress::toString);
  }

  @Test
  void pullsAnImageWithZstdLayers() throws Exception {
    byte[] zstdMarker = TestImages.zstd(l -> l.file("marker", "zstd from a registry\n")
        .file("unique", UUID.randomUUID().toString()));
    registry.push(layout("zstd", List.of(busybox, zstdMarker)), "1", "team" + RUN + "/zstd:1", false);
    HttpURLConnection c = (HttpURLConnection) URI.create("http://" + registry.host() + "/v2/team" + RUN
        + "/zstd/manifests/1")
        .toURL().openConnection();
    c.setRequestProperty("Accept", ImagePuller.OCI_MANIFEST);
    String manifest = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(manifest.contains("application/vnd.oci.image.layer.v1.tar+zstd"), manifest);
    ExitResult r = run(Rootfs.image(registry.host() + "/team" + RUN + "/zstd:1"), null, "cat /marker");
    assertEquals("zstd from a registry\n", r.stdoutText(), r::toString);
  }

  @Test
  void pullsByDigest() throws Exception {
    registry.push(layout("digest", List.of(busybox, markerLayer("by digest"))), "1", "team" + RUN + "/pinned:1", false);
    String digest = manifestDigest(registry, "team" + RUN + "/pinned", "1");
    ExitResult r = run(Rootfs.image(registry.host() + "/team" + RUN + "/pinned@" + digest), null, "cat /marker");
    assertEquals("by digest\n", r.stdoutText(), r::toString);
  }

  @Test
  void aManifestListIsResolvedToLinuxAmd64() throws Exception {
    Path amd = layout("amd64", List.of(busybox, markerLayer("amd64")));
    Path arm = layout("arm64", List.of(markerLayer("arm64")));
    Path list = Files.createDirectories(dir.resolve("layouts/list-" + UUID.randomUUID()).resolve("blobs/sha256"))
        .getParent().getParent();
    ObjectNode index = TestImages.object("schemaVersion", 2, "mediaType", ImagePuller.OCI_INDEX, "manifests",
        TestImages.array(platformEntry(amd, list, "amd64"), platformEntry(arm, list, "arm64")));
    byte[] indexBytes = index.toString().getBytes(StandardCharsets.UTF_8);
    Files.write(list.resolve("blobs/sha256").resolve(TestImages.sha256(indexBytes)), indexBytes);
    Files.writeString(list.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(list.resolve("index.json"), TestImages.object("schemaVersion", 2, "manifests",
        TestImages.array(TestImages.object("mediaType", ImagePuller.OCI_INDEX, "digest", "sha256:"
            + TestImages.sha256(indexBytes), "size", indexBytes.length, "annotations",
            TestImages.object("org.opencontainers.image.ref.name", "1")))).toString());
    registry.push(list, "1", "team" + RUN + "/multi:1", true);
    ExitResult r = run(Rootfs.image(registry.host() + "/team" + RUN + "/multi:1"), null, "cat /marker");
    assertEquals("amd64\n", r.stdoutText(), r::toString);
  }

  /** Copies an image's blobs into {@code into} and describes its manifest for {@code arch}. */
  private static ObjectNode platformEntry(Path layout, Path into, String arch) throws IOException {
    try (var blobs = Files.list(layout.resolve("blobs/sha256"))) {
      for (Path b : blobs.toList()) {
        Files.copy(b, into.resolve("blobs/sha256").resolve(b.getFileName()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    var top = new com.fasterxml.jackson.databind.ObjectMapper().readTree(layout.resolve("index.json").toFile())
        .get("manifests").get(0);
    return TestImages.object("mediaType", ImagePuller.OCI_MANIFEST, "digest", top.get("digest").asText(),
        "size", top.get("size").asLong(), "platform", TestImages.object("architecture", arch, "os", "linux"));
  }

  @Test
  void basicAuthenticationUsesDockersCredentialsFile() throws Exception {
    try (LocalRegistry secured = LocalRegistry.start(dir.resolve("secured"), true)) {
      secured.push(layout("auth", List.of(busybox, markerLayer("authenticated"))), "1", "private" + RUN + "/tool:1",
          false);
      Rootfs image = Rootfs.image(secured.host() + "/private" + RUN + "/tool:1");
      Path noCredentials = Files.writeString(dir.resolve("empty-config.json"), "{\"auths\":{}}");
      ContainerSettings anonymous = ContainerSettings.fromSystemProperties().withRegistries(
          RegistrySettings.fromSystemProperties().withDockerConfig(noCredentials));
      StartFailedException refused = assertThrows(StartFailedException.class, () -> run(image, anonymous, "true"));
      assertTrue(refused.getMessage().contains("asks for a user name and password"), refused.getMessage());

      String auth = Base64.getEncoder().encodeToString((LocalRegistry.USER + ":" + LocalRegistry.PASSWORD)
          .getBytes(StandardCharsets.UTF_8));
      Path config = Files.writeString(dir.resolve("config.json"),
          "{\"auths\":{\"" + secured.host() + "\":{\"auth\":\"" + auth + "\"}}}");
      ContainerSettings withCredentials = ContainerSettings.fromSystemProperties().withRegistries(
          RegistrySettings.fromSystemProperties().withDockerConfig(config));
      ExitResult r = run(image, withCredentials, "cat /marker");
      assertEquals("authenticated\n", r.stdoutText(), r::toString);
    }
  }

  /**
   * A credential helper named by the Docker configuration is run as Docker runs it (in a JVM whose PATH has it; the
   * helper here is a shell script speaking the helper protocol), and a helper that knows no credentials leaves the
   * pull anonymous.
   */
  @Test
  void credentialHelpersNamedByTheDockerConfigurationAreAsked() throws Exception {
    try (LocalRegistry secured = LocalRegistry.start(dir.resolve("secured-helper"), true)) {
      secured.push(layout("helper", List.of(busybox, markerLayer("from a helper"))), "1",
          "private" + RUN + "/helped:1", false);
      Path bin = Files.createDirectories(dir.resolve("helper-bin"));
      Path asked = dir.resolve("helper-asked");
      Path helper = bin.resolve("docker-credential-isotest");
      Files.writeString(helper, "#!/bin/sh\n"
          + "[ \"$1\" = get ] || exit 2\n"
          + "read -r server\n"
          + "echo \"$server\" >> " + asked + "\n"
          + "case \"$server\" in\n"
          + "  " + secured.host() + ") printf '{\"ServerURL\":\"%s\",\"Username\":\"" + LocalRegistry.USER
          + "\",\"Secret\":\"" + LocalRegistry.PASSWORD + "\"}' \"$server\" ;;\n"
          + "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
          + "esac\n");
      helper.toFile().setExecutable(true);
      Path config = Files.writeString(dir.resolve("helper-config.json"),
          "{\"credHelpers\":{\"" + secured.host() + "\":\"isotest\"},\"auths\":{}}");
      ProbeResult helped = firstStartInAJvm(config, bin, secured.host() + "/private" + RUN + "/helped:1");
      String out = helped.output();
      assertEquals(0, helped.exitCode(), out);
      assertEquals("from a helper\n", out);
      assertTrue(Files.readString(asked).lines().allMatch(secured.host()::equals), Files.readString(asked));

      // a helper that knows nothing of the registry: the pull is anonymous, and the registry says no
      Path unknown = Files.writeString(dir.resolve("helper-config-2.json"), "{\"credsStore\":\"isotest\"}");
      ProbeResult refused = firstStartInAJvm(unknown, bin,
          "localhost:" + secured.port + "/private" + RUN + "/helped:1");
      String said = refused.output();
      assertTrue(refused.exitCode() != 0 && said.contains("asks for a user name and password"), said);
    }
  }

  private record ProbeResult(int exitCode, String output) {}

  /** A first start of {@code image} in a JVM of its own, with this Docker configuration and {@code bin} on its PATH. */
  private static ProbeResult firstStartInAJvm(Path dockerConfig, Path bin, String image) throws Exception {
    String javaCommand = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb = new ProcessBuilder(javaCommand, "-D" + RegistrySettings.DOCKER_CONFIG + "=" + dockerConfig,
        "-cp", System.getProperty("java.class.path"), FirstStartProbe.class.getName(), image).redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    Process jvm = pb.start();
    String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(jvm.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the JVM hung");
    return new ProbeResult(jvm.exitValue(), out);
  }

  @Test
  void aCredentialHelperNameThatIsAPathIsRefused() throws Exception {
    Path config = Files.writeString(dir.resolve("bad-helper.json"), "{\"credsStore\":\"../../bin/sh\"}");
    IOException e = assertThrows(IOException.class, () -> Credentials.lookup(config, "registry.example"));
    assertTrue(e.getMessage().contains("which is not a helper's name"), e.getMessage());
  }

  @Test
  void aCorruptBlobIsRefusedAndNothingIsCached() throws Exception {
    byte[] layer = markerLayer("corrupt");
    registry.push(layout("corrupt", List.of(busybox, layer)), "1", "team" + RUN + "/corrupt:1", false);
    String hex = TestImages.sha256(layer);
    Path stored = registry.blobFile(hex);
    byte[] bytes = Files.readAllBytes(stored);
    bytes[bytes.length / 2] ^= 0x55;
    Files.write(stored, bytes);
    StartFailedException e = assertThrows(StartFailedException.class,
        () -> run(Rootfs.image(registry.host() + "/team" + RUN + "/corrupt:1"), null, "true"));
    assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains(hex), e.getMessage());
    Path cache = ImageStore.shared().root();
    assertFalse(Files.exists(cache.resolve("layers").resolve(hex.substring(0, 32))), "no layer in the cache");
    assertFalse(Files.exists(cache.resolve("registry/partial").resolve(hex)), "no partial download kept");
  }

  @Test
  void aPullCutMidwayResumesWhereItStopped() throws Exception {
    byte[] noise = new byte[3 << 20];
    new Random(7).nextBytes(noise); // incompressible: the stored layer is about as large
    byte[] big = TestImages.gz(l -> l.file("noise", new String(Base64.getEncoder().encode(noise),
        StandardCharsets.US_ASCII)).file("marker", "resumed\n"));
    registry.push(layout("big", List.of(busybox, big)), "1", "team" + RUN + "/big:1", false);
    try (CuttingProxy proxy = CuttingProxy.start(registry.port, 1 << 20)) {
      Rootfs image = Rootfs.image("127.0.0.1:" + proxy.port() + "/team" + RUN + "/big:1");
      StartFailedException cut = assertThrows(StartFailedException.class, () -> run(image, null, "true"));
      assertTrue(cut.getMessage().contains("kept for the next pull"), cut.getMessage());
      ExitResult r = run(image, null, "cat /marker");
      assertEquals("resumed\n", r.stdoutText(), r::toString);
      assertTrue(proxy.requests().stream().anyMatch(q -> q.toLowerCase().contains("range: bytes=")),
          "the second pull asked for the rest only: " + proxy.requests());
    }
  }

  @Test
  void anUnknownImageSaysSo() {
    StartFailedException e = assertThrows(StartFailedException.class,
        () -> run(Rootfs.image(registry.host() + "/team" + RUN + "/absent:1"), null, "true"));
    assertTrue(e.getMessage().contains("404") && e.getMessage().contains("MANIFEST_UNKNOWN"), e.getMessage());
  }

  @Test
  void concurrentFirstStartsOfOneImagePullItsLayerOnce() throws Exception {
    byte[] layer = markerLayer("together");
    String layerHex = TestImages.sha256(layer);
    registry.push(layout("concurrent", List.of(busybox, layer)), "1", "team" + RUN + "/together:1", false);
    try (CuttingProxy proxy = CuttingProxy.start(registry.port, Long.MAX_VALUE)) {
      Rootfs image = Rootfs.image("127.0.0.1:" + proxy.port() + "/team" + RUN + "/together:1");
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
      try {
        List<java.util.concurrent.Future<ExitResult>> runs = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
          runs.add(pool.submit(() -> run(image, null, "cat /marker")));
        }
        for (var f : runs) {
          assertEquals("together\n", f.get().stdoutText());
        }
      } finally {
        pool.shutdownNow();
      }
      long layerGets = proxy.requests().stream()
          .filter(q -> q.startsWith("GET ") && q.contains("/blobs/sha256:" + layerHex)).count();
      assertEquals(1, layerGets, "the layer was fetched once for four concurrent first starts");
    }
  }

  @Test
  void firstStartsInTwoJvmsAtOncePullTheLayerOnce() throws Exception {
    byte[] layer = markerLayer("two jvms");
    String layerHex = TestImages.sha256(layer);
    registry.push(layout("two-jvms", List.of(busybox, layer)), "1", "team" + RUN + "/two-jvms:1", false);
    try (CuttingProxy proxy = CuttingProxy.start(registry.port, Long.MAX_VALUE)) {
      String javaCommand = ProcessHandle.current().info().command().orElse("java");
      List<Process> jvms = new java.util.ArrayList<>();
      for (int i = 0; i < 2; i++) {
        jvms.add(new ProcessBuilder(javaCommand, "-cp", System.getProperty("java.class.path"), FirstStartProbe.class.getName(),
            "127.0.0.1:" + proxy.port() + "/team" + RUN + "/two-jvms:1").redirectErrorStream(true).start());
      }
      for (Process jvm : jvms) {
        String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(jvm.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "a JVM hung");
        assertEquals(0, jvm.exitValue(), out);
        assertEquals("two jvms\n", out);
      }
      long layerGets = proxy.requests().stream()
          .filter(q -> q.startsWith("GET ") && q.contains("/blobs/sha256:" + layerHex)).count();
      assertEquals(1, layerGets, "the layer was fetched once for two JVMs starting the image at once");
    }
  }

  @Test
  void bearerTokensAreFetchedFromTheRealmTheRegistryNames() throws Exception {
    for (boolean anonymous : new boolean[] {true, false}) {
      try (TokenService tokens = TokenService.start(dir.resolve("tokens-" + anonymous), anonymous);
          LocalRegistry secured = LocalRegistry.start(dir.resolve("token-registry-" + anonymous), false, tokens)) {
        secured.push(layout("token", List.of(busybox, markerLayer("bearer"))), "1", "org" + RUN + "/tool:1", false);
        Rootfs image = Rootfs.image(secured.host() + "/org" + RUN + "/tool:1");
        Path noCredentials = Files.writeString(dir.resolve("no-credentials.json"), "{}");
        ContainerSettings anonymousSettings = ContainerSettings.fromSystemProperties().withRegistries(
            RegistrySettings.fromSystemProperties().withDockerConfig(noCredentials));
        if (anonymous) {
          // a public repository, as on Docker Hub: an anonymous token for the pull scope
          ExitResult r = run(image, anonymousSettings, "cat /marker");
          assertEquals("bearer\n", r.stdoutText(), r::toString);
          assertTrue(tokens.requests.stream().anyMatch(
              q -> q.contains("scope=repository%3Aorg" + RUN + "%2Ftool%3Apull")
              && q.endsWith("(anonymous)")), tokens.requests::toString);
        } else {
          StartFailedException refused = assertThrows(StartFailedException.class,
              () -> run(image, anonymousSettings, "true"));
          assertTrue(refused.getMessage().contains("the token service") && refused.getMessage().contains("401"),
              refused.getMessage());
          String auth = Base64.getEncoder().encodeToString((LocalRegistry.USER + ":" + LocalRegistry.PASSWORD)
              .getBytes(StandardCharsets.UTF_8));
          Path config = Files.writeString(dir.resolve("token-config.json"),
              "{\"auths\":{\"" + secured.host() + "\":{\"auth\":\"" + auth + "\"}}}");
          ExitResult r = run(image, ContainerSettings.fromSystemProperties().withRegistries(
              RegistrySettings.fromSystemProperties().withDockerConfig(config)), "cat /marker");
          assertEquals("bearer\n", r.stdoutText(), r::toString);
        }
      }
    }
  }

  @Test
  void aMirrorIsAskedBeforeTheRegistry() throws Exception {
    // the "registry" the reference names does not exist (nothing listens on its port); its mirror has the image
    int absent;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      absent = s.getLocalPort();
    }
    registry.push(layout("mirrored", List.of(busybox, markerLayer("from the mirror"))), "1",
        "team" + RUN + "/mirrored:1", false);
    String origin = "127.0.0.1:" + absent;
    ContainerSettings viaMirror = ContainerSettings.fromSystemProperties().withRegistries(
        RegistrySettings.fromSystemProperties().withMirrors(java.util.Map.of(origin, List.of(registry.host()))));
    ExitResult r = run(Rootfs.image(origin + "/team" + RUN + "/mirrored:1"), viaMirror, "cat /marker");
    assertEquals("from the mirror\n", r.stdoutText(), r::toString);
    // without the mirror, the registry itself is asked, and cannot be reached
    StartFailedException unreachable = assertThrows(StartFailedException.class,
        () -> run(Rootfs.image(origin + "/team" + RUN + "/other:1"), null, "true"));
    assertTrue(unreachable.getMessage().contains("cannot reach " + origin), unreachable.getMessage());
  }
}
