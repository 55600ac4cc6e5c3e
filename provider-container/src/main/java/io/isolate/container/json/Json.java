package io.isolate.container.json;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Reads an image's JSON documents strictly, and their fields by type: a field of the wrong type is an
 * {@link IOException} that names the document and the field, not a {@link ClassCastException} from deep inside a
 * parser. Absent and null fields read as null. A document with a key twice is refused: tools that keep the first
 * and tools that keep the last would see different images. Jackson's read constraints bound nesting depth and the
 * length of strings and numbers.
 */
public final class Json {
  private static final JsonMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private Json() {}

  /** Parses {@code bytes} (UTF-8) as one JSON object. */
  public static ObjectNode parseObject(byte[] bytes, String what) throws IOException {
    JsonNode node = parse(bytes, what);
    if (!(node instanceof ObjectNode o)) {
      throw new IOException(what + " is not a JSON object but " + describe(node));
    }
    return o;
  }

  /** Parses {@code bytes} (UTF-8) as one JSON array. */
  public static ArrayNode parseArray(byte[] bytes, String what) throws IOException {
    JsonNode node = parse(bytes, what);
    if (!(node instanceof ArrayNode a)) {
      throw new IOException(what + " is not a JSON array but " + describe(node));
    }
    return a;
  }

  private static JsonNode parse(byte[] bytes, String what) throws IOException {
    try {
      JsonNode node = MAPPER.readTree(bytes);
      if (node == null || node.isMissingNode()) {
        throw new IOException(what + " is empty, not JSON");
      }
      return node;
    } catch (JacksonException e) {
      throw new IOException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  public static ObjectNode object(ObjectNode o, String field, String where) throws IOException {
    return typed(o.get(field), ObjectNode.class, field, where, "an object");
  }

  public static ArrayNode array(ObjectNode o, String field, String where) throws IOException {
    return typed(o.get(field), ArrayNode.class, field, where, "a list");
  }

  public static String string(ObjectNode o, String field, String where) throws IOException {
    JsonNode value = o.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new IOException(where + ": '" + field + "' is " + describe(value) + ", not a string");
    }
    return value.textValue();
  }

  /** Element {@code i} of {@code a}, which must be an object. */
  public static ObjectNode element(ArrayNode a, int i, String where) throws IOException {
    ObjectNode e = typed(a.get(i), ObjectNode.class, "element " + i, where, "an object");
    if (e == null) {
      throw new IOException(where + ": element " + i + " is null, not an object");
    }
    return e;
  }

  /** Element {@code i} of {@code a} if it is a string, else null. */
  public static String text(ArrayNode a, int i) {
    JsonNode e = a.get(i);
    return e != null && e.isTextual() ? e.textValue() : null;
  }

  private static <T extends JsonNode> T typed(JsonNode value, Class<T> type, String field, String where,
      String expected) throws IOException {
    if (value == null || value.isNull()) {
      return null;
    }
    if (type.isInstance(value)) {
      return type.cast(value);
    }
    throw new IOException(where + ": '" + field + "' is " + describe(value) + ", not " + expected);
  }

  /** What kind of JSON value {@code node} is, for messages. */
  public static String describe(JsonNode node) {
    return switch (node.getNodeType()) {
      case OBJECT -> "an object";
      case ARRAY -> "a list";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
