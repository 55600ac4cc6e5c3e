package io.isolate.container.image;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * Typed reads of an image's JSON documents: a field of the wrong type is an {@link IOException} that names the
 * document and the field, not a {@link ClassCastException} from deep inside a parser. Absent and null fields read
 * as null.
 */
final class Json {
  private Json() {}

  static JsonObject object(JsonObject o, String field, String where) throws IOException {
    return typed(o.getValue(field), JsonObject.class, field, where, "an object");
  }

  static JsonArray array(JsonObject o, String field, String where) throws IOException {
    return typed(o.getValue(field), JsonArray.class, field, where, "a list");
  }

  static String string(JsonObject o, String field, String where) throws IOException {
    return typed(o.getValue(field), String.class, field, where, "a string");
  }

  /** Element {@code i} of {@code a}, which must be an object. */
  static JsonObject element(JsonArray a, int i, String where) throws IOException {
    JsonObject e = typed(a.getValue(i), JsonObject.class, "element " + i, where, "an object");
    if (e == null) {
      throw new IOException(where + ": element " + i + " is null, not an object");
    }
    return e;
  }

  private static <T> T typed(Object value, Class<T> type, String field, String where, String expected)
      throws IOException {
    if (value == null || type.isInstance(value)) {
      return type.cast(value);
    }
    String actual = value instanceof JsonObject ? "an object" : value instanceof JsonArray ? "a list"
        : value instanceof String ? "a string" : value instanceof Number ? "a number"
        : value instanceof Boolean ? "a boolean" : value.getClass().getSimpleName();
    throw new IOException(where + ": '" + field + "' is " + actual + ", not " + expected);
  }
}
