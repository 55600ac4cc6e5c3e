package io.isolate.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.ExitResult;
import io.isolate.Termination;
import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.testing.Guest;
import io.isolate.vm.testing.Prerequisites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Debian's busybox-static, an unmodified glibc program, gives byte for byte the output it gives on the host. */
class BusyboxTest {
  static final Path BUSYBOX = Path.of("/bin/busybox");
  static byte[] text;
  static byte[] gzipped;

  @BeforeAll
  static void input() {
    StringBuilder sb = new StringBuilder();
    Random random = new Random(7);
    for (int i = 0; i < 3000; i++) {
      sb.append("line ").append(random.nextInt(100000)).append(" of the quick brown fox ").append(i % 17)
          .append('\n');
    }
    text = sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static Stream<Arguments> applets() {
    return Stream.of(
        Arguments.of(List.of("echo", "hello", "from", "busybox")),
        Arguments.of(List.of("cat")),
        Arguments.of(List.of("wc")),
        Arguments.of(List.of("sort")),
        Arguments.of(List.of("sort", "-r", "-n", "-k", "2")),
        Arguments.of(List.of("sha256sum")),
        Arguments.of(List.of("md5sum")),
        Arguments.of(List.of("gzip", "-c")),
        Arguments.of(List.of("base64")),
        Arguments.of(List.of("seq", "1", "2000")),
        Arguments.of(List.of("tr", "a-z", "A-Z")),
        Arguments.of(List.of("head", "-n", "7")),
        Arguments.of(List.of("tail", "-n", "7")),
        Arguments.of(List.of("uniq", "-c")),
        Arguments.of(List.of("cut", "-d", " ", "-f", "2")),
        Arguments.of(List.of("od", "-A", "x", "-t", "x1")),
        Arguments.of(List.of("awk", "{ s += $2 } END { print s, NR }")),
        Arguments.of(List.of("sed", "-e", "s/fox/cat/g", "-e", "3q")),
        Arguments.of(List.of("grep", "-c", "fox 1")),
        Arguments.of(List.of("xxd")),
        Arguments.of(List.of("sh", "-c", "read a; echo \"first: $a\"; i=0; while [ $i -lt 5 ]; do i=$((i+1)); done; echo $i")));
  }

  @ParameterizedTest
  @MethodSource("applets")
  void appletGivesTheHostsOutput(List<String> applet) {
    requireBusybox();
    byte[] expected = Fixtures.run(command(applet), text);
    ExitResult r = Guest.runWithStdin(BUSYBOX, text, applet.toArray(String[]::new));
    assertEquals(Termination.EXITED, r.termination(), r::toString);
    assertEquals(0, r.exitCode(), r::toString);
    assertArrayEquals(expected, r.stdout(), () -> applet + ": got " + r.stdoutText());
    assertEquals(Map.of(), r.unsupportedCalls(), "system calls the applet needed but did not get");
  }

  @ParameterizedTest
  @MethodSource("applets")
  void gunzipRestoresWhatGzipMade(List<String> ignored) throws Exception {
    if (!ignored.get(0).equals("gzip")) {
      return;
    }
    requireBusybox();
    byte[] gz = Fixtures.run(List.of("busybox", "gzip", "-c"), text);
    ExitResult r = Guest.runWithStdin(BUSYBOX, gz, "gunzip", "-c");
    assertArrayEquals(text, r.stdout(), r::toString);
  }

  @ParameterizedTest
  @MethodSource("applets")
  void readsItsInputThroughAReadOnlyMount(List<String> applet) throws Exception {
    if (!applet.get(0).equals("sha256sum")) {
      return;
    }
    requireBusybox();
    Path dir = Files.createTempDirectory("isolate-vm-bb");
    Files.write(dir.resolve("in.txt"), text);
    byte[] expected = Fixtures.run(List.of("busybox", "sha256sum", dir.resolve("in.txt").toString()));
    ExitResult r = Guest.runWithMount(BUSYBOX, io.isolate.Mount.readOnly(dir, "/data"), "sha256sum",
        "/data/in.txt");
    assertEquals(new String(expected, StandardCharsets.UTF_8).split(" ")[0], r.stdoutText().split(" ")[0],
        r::toString);
  }

  private static List<String> command(List<String> applet) {
    List<String> cmd = new ArrayList<>();
    cmd.add(BUSYBOX.toString());
    cmd.addAll(applet);
    return cmd;
  }

  static void requireBusybox() {
    Prerequisites.require(Files.isExecutable(BUSYBOX), "/bin/busybox is missing (apt-get install busybox-static)");
  }
}
