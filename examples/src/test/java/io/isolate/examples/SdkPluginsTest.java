package io.isolate.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.CallException;
import io.isolate.GuestFailureException;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SDK's example plugins called from Java at PROCESS (the PARAVIRT build is run by provider-pv's tests). */
class SdkPluginsTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void textPluginTransformsBytes() {
    try (Isolate text = SdkPlugins.text(IsolationLevel.PROCESS)) {
      assertEquals("PLUGINS", new String(text.call("upper", utf8("plugins")), StandardCharsets.UTF_8));
      assertEquals("2 3 14", new String(text.call("count", utf8("one two\nthree\n")), StandardCharsets.UTF_8));
      assertThrows(CallException.class, () -> text.call("lower", utf8("x")));
    }
  }

  @Test
  void keyValuePluginCallsBackIntoTheHost() {
    try (Isolate kv = SdkPlugins.keyValue(IsolationLevel.PROCESS, Map.of("answer", "42"), "the answer is ")) {
      assertEquals("the answer is 42", new String(kv.call("lookup", utf8("answer")), StandardCharsets.UTF_8));
      GuestFailureException e = assertThrows(GuestFailureException.class, () -> kv.call("lookup", utf8("question")));
      assertTrue(e.getMessage().contains("no key question"), e.getMessage());
    }
  }

  @Test
  void mainPrintsWhatThePluginsAnswer() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      SdkPlugins.main(new String[] {"process"});
    } finally {
      System.setOut(saved);
    }
    assertEquals("HELLO, PLUGINS\n2 3 14 (lines words bytes)\nthe answer is 42\n"
        + "handlers: [count, nop, reverse, upper]\n", out.toString(StandardCharsets.UTF_8));
  }
}
