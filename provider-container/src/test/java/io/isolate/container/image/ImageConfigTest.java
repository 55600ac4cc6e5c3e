package io.isolate.container.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.container.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The image configuration as the isolate honours it: its exposed TCP ports, capped. */
class ImageConfigTest {
  private static ImageStore.PreparedImage prepared(String exposedPorts) throws IOException {
    String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"ExposedPorts\":{" + exposedPorts + "}}}";
    return ImageConfig.prepared(List.of(), Json.parseObject(config.getBytes(StandardCharsets.UTF_8), "config"),
        "test");
  }

  @Test
  void publishesAtMostSixteenExposedTcpPortsInTheImagesOrder() throws IOException {
    List<String> ports = new ArrayList<>();
    IntStream.rangeClosed(1, 40).forEach(i -> ports.add("\"" + (8000 + i) + "/tcp\":{}"));
    List<Integer> published = prepared(String.join(",", ports)).exposedTcpPorts();
    assertEquals(ImageConfig.MAX_EXPOSED, published.size());
    assertEquals(List.copyOf(IntStream.rangeClosed(8001, 8016).boxed().toList()), published);
  }

  @Test
  void skipsUdpDuplicatesAndNumbersOutOfRange() throws IOException {
    assertEquals(List.of(80, 6379), prepared("\"80\":{},\"53/udp\":{},\"0/tcp\":{},\"70000/tcp\":{},\"80/tcp\":{},"
        + "\"6379/TCP\":{},\"x/tcp\":{}").exposedTcpPorts());
  }
}
