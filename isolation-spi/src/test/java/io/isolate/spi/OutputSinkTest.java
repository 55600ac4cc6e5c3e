package io.isolate.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Output;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OutputSinkTest {

  @Test
  void deliversUpToTheSharedBudgetThenReportsTheOverflow() {
    OutputSink.Budget budget = new OutputSink.Budget(10);
    OutputSink out = new OutputSink(Output.capture(), budget);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    OutputSink err = new OutputSink(Output.to(stream), budget);

    assertTrue(out.write("123456".getBytes(StandardCharsets.US_ASCII), 0, 6));
    assertFalse(err.write("abcdef".getBytes(StandardCharsets.US_ASCII), 0, 6));
    assertFalse(out.write("x".getBytes(StandardCharsets.US_ASCII), 0, 1));

    assertArrayEquals("123456".getBytes(StandardCharsets.US_ASCII), out.captured());
    assertEquals("abcd", stream.toString(StandardCharsets.US_ASCII));
    assertTrue(budget.exceeded());
    assertEquals(10, budget.used());
  }

  @Test
  void discardStillCountsAgainstTheLimit() {
    OutputSink.Budget budget = new OutputSink.Budget(3);
    OutputSink sink = new OutputSink(Output.discard(), budget);
    assertFalse(sink.write(new byte[4], 0, 4));
    assertEquals(0, sink.captured().length);
    assertTrue(budget.exceeded());
  }
}
