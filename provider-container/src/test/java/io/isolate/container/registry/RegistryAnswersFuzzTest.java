package io.isolate.container.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isolate.ImageReference;
import io.isolate.InvalidSpecException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz target: a hostile registry's answers. A server on 127.0.0.1 answers with the input's documents, separated by
 * lines {@code ----}: a {@code WWW-Authenticate} challenge (empty: no authentication), the manifest a tag names, the
 * manifest any digest names, the configuration blob, and the token service's answer. Placeholders become the digests
 * and sizes of the other documents ({@code <M2>} the second manifest's digest, {@code <M2S>} its size, {@code <C>}
 * and {@code <CS>} the configuration's), so that mutations reach past the digest checks into the parsing of
 * challenges, indexes, manifests and tokens. Resolving must give an image or fail with an {@link IOException}; the
 * reference parser is fed the same bytes and may only refuse with {@link InvalidSpecException}. {@code mvn verify}
 * replays the committed corpus; {@code .ci/fuzz} fuzzes it.
 */
class RegistryAnswersFuzzTest {
  private static final String SEPARATOR = "\n----\n";
  private static HostileRegistry registry;

  @FuzzTest
  void resolvesOrRefusesAnyAnswers(byte[] input) throws IOException {
    String text = new String(input, StandardCharsets.UTF_8);
    try {
      ImageReference.parse(text.lines().findFirst().orElse(""));
    } catch (InvalidSpecException refused) {
      assertNotNull(refused.getMessage());
    }
    String[] parts = text.split(SEPARATOR, 5);
    String challenge = parts[0];
    String config = parts.length > 3 ? parts[3] : "{}";
    String configHex = ImagePuller.sha256(config.getBytes(StandardCharsets.UTF_8));
    String second = fill(parts.length > 2 ? parts[2] : "", configHex, config, null, null);
    String secondHex = ImagePuller.sha256(second.getBytes(StandardCharsets.UTF_8));
    String first = fill(parts.length > 1 ? parts[1] : "", configHex, config, secondHex, second);
    String token = parts.length > 4 ? parts[4] : "{\"token\":\"t\"}";
    try {
      // each input a cache of its own, so that nothing an earlier input left decides this one
      ImagePuller.Resolved r = registry().resolve(challenge, first, second, config, token);
      assertEquals(configHex, ImagePuller.sha256(r.config()));
    } catch (IOException refused) {
      assertNotNull(refused.getMessage());
    }
  }

  static String fill(String doc, String configHex, String config, String manifestHex, String manifest) {
    String out = doc.replace("<CS>", Integer.toString(config.getBytes(StandardCharsets.UTF_8).length))
        .replace("<C>", "sha256:" + configHex);
    if (manifestHex != null) {
      out = out.replace("<M2S>", Integer.toString(manifest.getBytes(StandardCharsets.UTF_8).length))
          .replace("<M2>", "sha256:" + manifestHex);
    }
    return out;
  }

  private static synchronized HostileRegistry registry() throws IOException {
    if (registry == null) {
      HostileRegistry r = new HostileRegistry();
      Runtime.getRuntime().addShutdownHook(new Thread(r::close));
      registry = r;
    }
    return registry;
  }
}
