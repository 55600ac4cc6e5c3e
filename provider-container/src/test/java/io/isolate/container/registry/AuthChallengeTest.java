package io.isolate.container.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The challenges registries send, and malformed ones refused. */
class AuthChallengeTest {
  @Test
  void dockerHubsBearerChallenge() {
    AuthChallenge c = AuthChallenge.parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
        + "scope=\"repository:library/redis:pull\"");
    assertEquals("bearer", c.scheme());
    assertEquals(Map.of("realm", "https://auth.docker.io/token", "service", "registry.docker.io",
        "scope", "repository:library/redis:pull"), c.parameters());
  }

  @Test
  void basicChallengeAndUnquotedValues() {
    AuthChallenge c = AuthChallenge.parse("Basic realm=isolate-test");
    assertEquals("basic", c.scheme());
    assertEquals("isolate-test", c.parameter("realm").orElseThrow());
    assertEquals("a\"b", AuthChallenge.parse("Bearer realm=\"a\\\"b\"").parameter("realm").orElseThrow());
  }

  @Test
  void onlyTheFirstChallengeIsRead() {
    AuthChallenge c = AuthChallenge.parse("Bearer realm=\"https://r/token\", Basic realm=\"x\"");
    assertEquals("bearer", c.scheme());
    assertEquals("https://r/token", c.parameter("realm").orElseThrow());
  }

  @Test
  void malformedChallengesAreRefused() {
    for (String bad : new String[] {"", "   ", "Bearer realm=\"open", "Bearer realm=\"a\" realm=\"b\"",
        "Bearer realm=\"a\",realm=\"b\"", "Bearer =x", "x".repeat(9000)}) {
      assertThrows(IllegalArgumentException.class, () -> AuthChallenge.parse(bad), bad);
    }
  }
}
