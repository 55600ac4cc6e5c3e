package io.isolate.container.registry;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235): a scheme and its parameters, as in
 * {@code Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"}. Only
 * the first challenge is read (registries send one). The header comes from the network: anything malformed is
 * refused, never guessed at.
 *
 * @param scheme the scheme, lower-case ({@code bearer}, {@code basic})
 * @param parameters the parameters by lower-case name
 */
record AuthChallenge(String scheme, Map<String, String> parameters) {
  private static final int MAX_HEADER = 8192;

  AuthChallenge {
    parameters = Map.copyOf(parameters);
  }

  /** The parameter {@code name}, if given. */
  Optional<String> parameter(String name) {
    return Optional.ofNullable(parameters.get(name));
  }

  /**
   * Parses the first challenge of {@code header}.
   *
   * @throws IllegalArgumentException saying what is malformed
   */
  static AuthChallenge parse(String header) {
    if (header == null || header.isBlank()) {
      throw new IllegalArgumentException("no WWW-Authenticate challenge");
    }
    if (header.length() > MAX_HEADER) {
      throw new IllegalArgumentException("a WWW-Authenticate header of " + header.length() + " characters");
    }
    int i = skipSpaces(header, 0);
    int start = i;
    while (i < header.length() && isTokenChar(header.charAt(i))) {
      i++;
    }
    if (i == start) {
      throw new IllegalArgumentException("WWW-Authenticate '" + header + "' has no scheme");
    }
    String scheme = header.substring(start, i).toLowerCase(Locale.ROOT);
    Map<String, String> params = new LinkedHashMap<>();
    i = skipSpaces(header, i);
    while (i < header.length()) {
      int nameStart = i;
      while (i < header.length() && isTokenChar(header.charAt(i))) {
        i++;
      }
      if (i == nameStart) {
        throw new IllegalArgumentException("WWW-Authenticate '" + header + "': a parameter has no name at " + i);
      }
      String name = header.substring(nameStart, i).toLowerCase(Locale.ROOT);
      i = skipSpaces(header, i);
      if (i >= header.length() || header.charAt(i) != '=') {
        // another challenge begins (a scheme followed by its own parameters): only the first is read
        break;
      }
      i = skipSpaces(header, i + 1);
      StringBuilder value = new StringBuilder();
      if (i < header.length() && header.charAt(i) == '"') {
        i++;
        boolean closed = false;
        while (i < header.length()) {
          char c = header.charAt(i++);
          if (c == '\\' && i < header.length()) {
            value.append(header.charAt(i++));
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value.append(c);
          }
        }
        if (!closed) {
          throw new IllegalArgumentException("WWW-Authenticate '" + header + "': an unterminated quoted value");
        }
      } else {
        while (i < header.length() && isTokenChar(header.charAt(i))) {
          value.append(header.charAt(i++));
        }
      }
      if (params.putIfAbsent(name, value.toString()) != null) {
        throw new IllegalArgumentException("WWW-Authenticate '" + header + "' gives " + name + " twice");
      }
      i = skipSpaces(header, i);
      if (i < header.length()) {
        if (header.charAt(i) != ',') {
          throw new IllegalArgumentException("WWW-Authenticate '" + header + "': expected ',' at " + i);
        }
        i = skipSpaces(header, i + 1);
      }
    }
    return new AuthChallenge(scheme, params);
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }

  /** A character of a bare name or value: visible ASCII but for quotes, separators and '=' (RFC 7230, loosely). */
  private static boolean isTokenChar(char c) {
    return c > 32 && c < 127 && "\"(),;<=>?@[\\]{}".indexOf(c) < 0;
  }
}
