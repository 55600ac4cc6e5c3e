package io.isolate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Image references are normalized as Docker does and malformed ones are refused with the part that is wrong. */
class ImageReferenceTest {
  private static final String DIGEST = "sha256:" + "ab".repeat(32);

  @Test
  void dockerHubNamesAreNormalized() {
    ImageReference r = ImageReference.parse("redis:7");
    assertEquals("docker.io", r.registry());
    assertEquals("library/redis", r.repository());
    assertEquals(Optional.of("7"), r.tag());
    assertEquals("docker.io/library/redis:7", r.toString());
    assertEquals("docker.io/library/busybox:latest", ImageReference.parse("busybox").toString());
    assertEquals("docker.io/team/app:latest", ImageReference.parse("team/app").toString());
    assertEquals("docker.io/library/redis:7", ImageReference.parse("index.docker.io/library/redis:7").toString());
  }

  @Test
  void registriesAreRecognizedByDotsPortsOrLocalhost() {
    assertEquals("ghcr.io", ImageReference.parse("ghcr.io/org/app@" + DIGEST).registry());
    ImageReference local = ImageReference.parse("127.0.0.1:5000/team/tool:1.2");
    assertEquals("127.0.0.1:5000", local.registry());
    assertEquals("team/tool", local.repository());
    assertEquals("1.2", local.manifestReference());
    assertEquals("localhost", ImageReference.parse("localhost/app").registry());
    assertEquals("[::1]:5000", ImageReference.parse("[::1]:5000/app:1").registry());
  }

  @Test
  void aDigestDecidesOverATag() {
    ImageReference r = ImageReference.parse("ghcr.io/org/app:1@" + DIGEST);
    assertEquals(DIGEST, r.manifestReference());
    assertEquals(Optional.of("1"), r.tag());
    assertEquals(Optional.empty(), ImageReference.parse("ghcr.io/org/app@" + DIGEST).tag());
  }

  @Test
  void malformedReferencesAreRefusedSayingWhy() {
    assertMalformed("", "names no image");
    assertMalformed("Redis:7", "not a valid name component");
    assertMalformed("redis:-7", "not a valid tag");
    assertMalformed("redis@sha256:abc", "64");
    assertMalformed("a/../b", "not a valid name component");
    assertMalformed("host:99999/app", "is not a port");
    assertMalformed("host.example/a//b", "not a valid name component");
    assertMalformed("x".repeat(300), "longer than");
  }

  private static void assertMalformed(String text, String says) {
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> ImageReference.parse(text));
    assertTrue(e.getMessage().contains(says), e.getMessage());
  }

  @Test
  void theCommandLineFormIsSkopeos() {
    Rootfs r = Rootfs.parse("docker://127.0.0.1:5000/team/tool:1");
    assertEquals(Rootfs.Kind.OCI_IMAGE, r.kind());
    assertEquals("127.0.0.1:5000/team/tool:1", r.reference().orElseThrow().toString());
    assertEquals("docker://127.0.0.1:5000/team/tool:1", r.toString());
    assertTrue(r.path().isEmpty());
  }
}
