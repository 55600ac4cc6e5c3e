package io.isolate.container.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every bound the puller puts on what a registry says is pushed past by one: a registry cannot make it hold more
 * than 4 MiB of manifest, 8 MiB of configuration, 1000 layers or 1 MiB of token answer, and each refusal says which
 * bound. (An image's exposed ports are capped at 16 in {@code ImageConfigTest}.)
 */
class RegistryCapsTest {
  private static final String CONFIG = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{}}";
  private static final String LAYER = "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
      + "\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":1024}";
  private static HostileRegistry registry;

  @BeforeAll
  static void start() throws IOException {
    registry = new HostileRegistry();
  }

  @AfterAll
  static void stop() {
    registry.close();
  }

  private static String manifest(String configDigestAndSize, int layers, String padding) {
    StringBuilder s = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\"," + configDigestAndSize + "},"
        + "\"annotations\":{\"padding\":\"" + padding + "\"},\"layers\":[");
    for (int i = 0; i < layers; i++) {
      s.append(i == 0 ? "" : ",").append(LAYER);
    }
    return s.append("]}").toString();
  }

  private static String configDescriptor(String config) {
    return "\"digest\":\"sha256:" + ImagePuller.sha256(config.getBytes(StandardCharsets.UTF_8)) + "\",\"size\":"
        + config.getBytes(StandardCharsets.UTF_8).length;
  }

  private static ImagePuller.Resolved resolve(String manifest, String config, String challenge, String token)
      throws IOException {
    return registry.resolve(challenge, manifest, manifest, config, token);
  }

  @Test
  void aManifestAtItsLimitIsReadAndOneByteMoreIsRefused() throws IOException {
    String small = manifest(configDescriptor(CONFIG), 1, "");
    int room = (4 << 20) - small.length();
    assertEquals(1, resolve(manifest(configDescriptor(CONFIG), 1, "x".repeat(room)), CONFIG, "", "").layers().size());
    IOException e = assertThrows(IOException.class,
        () -> resolve(manifest(configDescriptor(CONFIG), 1, "x".repeat(room + 1)), CONFIG, "", ""));
    assertTrue(e.getMessage().contains("the manifest is larger than 4194304 bytes"), e.getMessage());
  }

  @Test
  void aConfigurationOverEightMebibytesIsRefusedBeforeItIsFetched() {
    String big = "{\"pad\":\"" + "y".repeat(8 << 20) + "\"}";
    IOException e = assertThrows(IOException.class,
        () -> resolve(manifest(configDescriptor(big), 1, ""), big, "", ""));
    assertTrue(e.getMessage().contains("8388608"), e.getMessage());
  }

  @Test
  void aThousandLayersAreReadAndOneMoreIsRefused() throws IOException {
    assertEquals(1000, resolve(manifest(configDescriptor(CONFIG), 1000, ""), CONFIG, "", "").layers().size());
    IOException e = assertThrows(IOException.class,
        () -> resolve(manifest(configDescriptor(CONFIG), 1001, ""), CONFIG, "", ""));
    assertTrue(e.getMessage().contains("1001 layers, more than 1000"), e.getMessage());
  }

  @Test
  void aTokenAnswerOverOneMebibyteIsRefused() throws IOException {
    String challenge = "Bearer realm=\"<REALM>\",service=\"hostile\"";
    String manifest = manifest(configDescriptor(CONFIG), 1, "");
    assertEquals(1, resolve(manifest, CONFIG, challenge, "{\"token\":\"t\"}").layers().size(), "a token is used");
    String huge = "{\"token\":\"" + "t".repeat(1 << 20) + "\"}";
    IOException e = assertThrows(IOException.class, () -> resolve(manifest, CONFIG, challenge, huge));
    assertTrue(e.getMessage().contains("answered more than 1048576 bytes"), e.getMessage());
  }
}
