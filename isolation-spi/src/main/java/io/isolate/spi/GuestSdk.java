package io.isolate.spi;

import io.isolate.HostFunction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What every level that serves calls answers the same way to a plugin built with the guest SDK
 * ({@code guest-sdk/include/isolate_guest.h}): its configuration, and the handler names it announces when it
 * begins to serve. Both reach the host as bytes functions with reserved names (inside
 * {@link HostFunction#SDK_PREFIX}); the bytes come from the guest and are parsed here, at one place, with bounds.
 */
public final class GuestSdk {
  /** {@code isolate_config(key)}: answers one byte, 1 followed by the value when the key is set, or 0 alone. */
  public static final String CONFIG = HostFunction.SDK_PREFIX + "config";
  /** {@code isolate_serve()}: the handler names, each followed by a NUL. */
  public static final String SERVE = HostFunction.SDK_PREFIX + "serve";
  /** The most handlers a plugin registers. */
  public static final int MAX_HANDLERS = 32;
  /** The longest handler name, in bytes. */
  public static final int MAX_NAME_BYTES = 255;

  private GuestSdk() {}

  /** The function answering {@link #CONFIG} lookups in {@code config}. */
  public static UnaryOperator<byte[]> configFunction(Map<String, String> config) {
    Map<String, String> values = Map.copyOf(config);
    return key -> {
      String value = values.get(new String(key, StandardCharsets.UTF_8));
      if (value == null) {
        return new byte[] {0};
      }
      byte[] v = value.getBytes(StandardCharsets.UTF_8);
      byte[] answer = new byte[v.length + 1];
      answer[0] = 1;
      System.arraycopy(v, 0, answer, 1, v.length);
      return answer;
    };
  }

  /** The bytes as UTF-8, or a refusal: a lossy decoding would name a handler other than the plugin's. */
  private static String utf8(byte[] bytes, int offset, int length) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes, offset, length)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("the plugin announced a handler name that is not UTF-8");
    }
  }

  /**
   * The handler names a plugin announced with {@link #SERVE}.
   *
   * @throws IllegalArgumentException when the bytes are not at most {@value #MAX_HANDLERS} names of 1 to
   *     {@value #MAX_NAME_BYTES} bytes of UTF-8, each followed by a NUL
   */
  public static List<String> handlerNames(byte[] announced) {
    if (announced.length > MAX_HANDLERS * (MAX_NAME_BYTES + 1)) {
      throw new IllegalArgumentException("the plugin announced " + announced.length + " bytes of handler names");
    }
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < announced.length; i++) {
      if (announced[i] == 0) {
        int n = i - start;
        if (n == 0 || n > MAX_NAME_BYTES || names.size() == MAX_HANDLERS) {
          throw new IllegalArgumentException("the plugin announced a handler name of " + n + " bytes, or more than "
              + MAX_HANDLERS + " handlers");
        }
        names.add(utf8(announced, start, n));
        start = i + 1;
      }
    }
    if (start != announced.length) {
      throw new IllegalArgumentException("the plugin's handler names do not end with a NUL");
    }
    return names;
  }
}
