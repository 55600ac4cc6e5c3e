package io.isolate.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A setting that does not parse is an error naming the property, never silently its default. */
class SystemPropertiesTest {
  private static final String NAME = "isolate.test.setting";

  @AfterEach
  void clear() {
    System.clearProperty(NAME);
  }

  @Test
  void unsetIsTheDefault() {
    assertEquals(42, SystemProperties.bytes(NAME, 42, 0));
    assertEquals(7, SystemProperties.number(NAME, 7, 0, 10));
    assertFalse(SystemProperties.flag(NAME));
    assertEquals(Optional.empty(), SystemProperties.string(NAME));
  }

  @Test
  void sizesTakeUnits() {
    System.setProperty(NAME, "64m");
    assertEquals(64L << 20, SystemProperties.bytes(NAME, 1, 0));
  }

  @Test
  void aValueThatDoesNotParseNamesTheProperty() {
    System.setProperty(NAME, "lots");
    assertTrue(assertThrows(IllegalStateException.class, () -> SystemProperties.bytes(NAME, 1, 0)).getMessage()
        .contains("-D" + NAME + "=lots is not a size"));
    assertTrue(assertThrows(IllegalStateException.class, () -> SystemProperties.number(NAME, 1, 0, 9)).getMessage()
        .contains("is not a whole number"));
    assertTrue(assertThrows(IllegalStateException.class, () -> SystemProperties.flag(NAME)).getMessage()
        .contains("is neither true nor false"));
    System.setProperty(NAME, "11");
    assertTrue(assertThrows(IllegalStateException.class, () -> SystemProperties.number(NAME, 1, 0, 10)).getMessage()
        .contains("out of range: from 0 to 10"));
    System.setProperty(NAME, "TRUE");
    assertTrue(SystemProperties.flag(NAME));
  }
}
