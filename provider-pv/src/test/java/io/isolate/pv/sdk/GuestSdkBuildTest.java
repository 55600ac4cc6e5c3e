package io.isolate.pv.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.pv.devices.CallFrame;
import io.isolate.pv.hypercall.HypercallAbi;
import io.isolate.pv.virtio.MmioTransport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestSdkBuildTest {
  @TempDir Path tmp;

  /** The command between the README's guest-build-command markers. */
  private static String documentedCommand() throws Exception {
    String readme = NativeBuild.read(NativeBuild.module().resolve("README.md"));
    Matcher m = Pattern.compile("<!-- guest-build-command -->\\s*```sh\\n(.*?)\\n```\\s*<!-- /guest-build-command -->",
        Pattern.DOTALL).matcher(readme);
    assertTrue(m.find(), "README.md lacks the guest-build-command block");
    return m.group(1).trim();
  }

  @Test
  void buildsAGuestWithTheCommandDocumentedInTheReadme() throws Exception {
    Files.copy(NativeBuild.module().resolve("src/main/c/examples/echo/echo.c"), tmp.resolve("guest.c"));
    var r = NativeBuild.run(tmp, Map.of("SDK", NativeBuild.sdk().toString()), new byte[0],
        List.of("sh", "-c", documentedCommand()));
    assertEquals(0, r.exitCode(), r.stderr());
    assertStaticGuestImage(Files.readAllBytes(tmp.resolve("guest.elf")));
  }

  @Test
  void shipsTheSdkAndExampleImagesInTheJar() throws Exception {
    for (String name : List.of("include/isolate_guest.h", "lib/libisolate.a", "lib/isolate.ld",
        "examples/src/echo/echo.c")) {
      assertNotNull(getClass().getResource("/META-INF/isolate/guest-sdk/" + name), name);
    }
    for (String image : List.of("echo", "sha256", "stream")) {
      try (var in = getClass().getResourceAsStream("/META-INF/isolate/guest-sdk/examples/" + image + ".elf")) {
        assertNotNull(in, image);
        assertStaticGuestImage(in.readAllBytes());
      }
    }
  }

  /** ELF64, x86-64, ET_EXEC, only PT_LOAD segments, the first at 0x400000, the entry inside the image. */
  private static void assertStaticGuestImage(byte[] elf) {
    ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0x464c457f, b.getInt(0), "ELF magic");
    assertEquals(2, elf[4], "ELFCLASS64");
    assertEquals(2, b.getShort(16), "ET_EXEC");
    assertEquals(0x3e, b.getShort(18), "EM_X86_64");
    long entry = b.getLong(24);
    long phoff = b.getLong(32);
    int phentsize = b.getShort(54);
    int phnum = b.getShort(56);
    long lowest = Long.MAX_VALUE;
    long highest = 0;
    for (int i = 0; i < phnum; i++) {
      int at = (int) (phoff + (long) i * phentsize);
      int type = b.getInt(at);
      assertTrue(type != 2 && type != 3, "no PT_DYNAMIC or PT_INTERP, found type " + type);
      if (type == 1) {
        long vaddr = b.getLong(at + 16);
        long memsz = b.getLong(at + 40);
        lowest = Math.min(lowest, vaddr);
        highest = Math.max(highest, vaddr + memsz);
      }
    }
    assertEquals(0x400000, lowest, "image base");
    assertTrue(entry >= lowest && entry < highest, "entry 0x" + Long.toHexString(entry) + " inside the image");
  }

  @Test
  void sha256OfTheGuestMatchesTheStandardVectorsAndJava() throws Exception {
    Path src = NativeBuild.module().resolve("src/main/c/examples/sha256");
    NativeBuild.gcc(tmp, "-std=c11", "-O2", "-Wall", "-Werror", "-I", src.toString(), "-o", "sha256-host",
        NativeBuild.module().resolve("src/test/c/sha256_vectors.c").toString(), src.resolve("sha256.c").toString());
    Random random = new Random(256);
    for (int length : new int[] {0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 1 << 20}) {
      byte[] input = new byte[length];
      random.nextBytes(input);
      var r = NativeBuild.run(tmp, Map.of(), input, List.of(tmp.resolve("sha256-host").toString()));
      assertEquals(0, r.exitCode(), "standard vectors: " + r.stderr());
      assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(input)), r.stdout().trim(),
          "length " + length);
    }
  }

  @Test
  void formatterAgreesWithLibcSnprintf() throws Exception {
    Path sdk = NativeBuild.sdkSources();
    NativeBuild.gcc(tmp, "-O2", "-Wno-format", "-I", sdk.resolve("include").toString(), "-o", "format-host",
        NativeBuild.module().resolve("src/test/c/format_check.c").toString(), sdk.resolve("paravirt/format.c").toString());
    var r = NativeBuild.run(tmp, Map.of(), new byte[0], List.of(tmp.resolve("format-host").toString()));
    assertEquals(0, r.exitCode(), r.stderr());
  }

  @Test
  void headerAgreesWithTheJavaAbi() throws Exception {
    String header = NativeBuild.read(NativeBuild.sdk().resolve("include/isolate_guest.h"));
    Map<String, Long> expected = Map.ofEntries(
        Map.entry("ISOLATE_HC_PORT", (long) HypercallAbi.PORT),
        Map.entry("ISOLATE_HC_EXIT", (long) HypercallAbi.EXIT),
        Map.entry("ISOLATE_HC_WAIT_FOR_EVENT", (long) HypercallAbi.WAIT_FOR_EVENT),
        Map.entry("ISOLATE_HC_LOG", (long) HypercallAbi.LOG),
        Map.entry("ISOLATE_HC_CLOCK", (long) HypercallAbi.CLOCK),
        Map.entry("ISOLATE_HC_ABI_VERSION", (long) HypercallAbi.ABI_VERSION),
        Map.entry("ISOLATE_ABI_VERSION", HypercallAbi.VERSION),
        Map.entry("ISOLATE_LOG_MAX", (long) HypercallAbi.MAX_LOG_BYTES),
        Map.entry("ISOLATE_CALL_MAGIC", (long) CallFrame.MAGIC),
        Map.entry("ISOLATE_CALL_HEADER_SIZE", (long) CallFrame.HEADER_SIZE),
        Map.entry("ISOLATE_CALL_MAX_NAME", (long) CallFrame.MAX_NAME_BYTES),
        Map.entry("ISOLATE_FRAME_CALL", (long) CallFrame.CALL),
        Map.entry("ISOLATE_FRAME_REPLY", (long) CallFrame.REPLY),
        Map.entry("ISOLATE_FRAME_HOST_CALL", (long) CallFrame.HOST_CALL),
        Map.entry("ISOLATE_FRAME_HOST_REPLY", (long) CallFrame.HOST_REPLY),
        Map.entry("ISOLATE_STATUS_NO_SUCH_FUNCTION", (long) CallFrame.NO_SUCH_FUNCTION),
        Map.entry("ISOLATE_STATUS_FAILED", (long) CallFrame.FAILED),
        Map.entry("ISOLATE_STATUS_TOO_LARGE", (long) CallFrame.TOO_LARGE),
        Map.entry("ISOLATE_STATUS_BAD_REQUEST", (long) CallFrame.BAD_REQUEST),
        Map.entry("ISOLATE_MMIO_STRIDE", (long) MmioTransport.WINDOW_SIZE));
    for (var e : expected.entrySet()) {
      Matcher m = Pattern.compile("#define " + e.getKey() + " (0x[0-9a-fA-F]+|\\d+)u?\\b").matcher(header);
      assertTrue(m.find(), e.getKey() + " missing from isolate_guest.h");
      assertEquals(e.getValue(), Long.decode(m.group(1)), e.getKey());
    }
    assertTrue(header.contains("#define ISOLATE_CALL_PORT_NAME \"" + CallFrame.PORT_NAME + "\""));
  }

  @Test
  void failsTheBuildWithAClearMessageWithoutGcc() throws Exception {
    var r = NativeBuild.run(tmp, Map.of("CC", "/nonexistent/gcc"), new byte[0],
        List.of("sh", NativeBuild.module().resolve("src/main/c/build.sh").toString(), tmp.resolve("out").toString()));
    assertEquals(1, r.exitCode());
    assertTrue(r.stderr().contains("'/nonexistent/gcc' was not found") && r.stderr().contains("apt-get install gcc"),
        r.stderr());
    assertFalse(Files.exists(tmp.resolve("out")));
  }
}
