package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.container.helper.HelperBinary;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The helper's network keeper, spoken to directly: what it is asked is checked (anything but an IPv4 address with a
 * prefix of 8..30, or the holder of one of its members, is answered with an error and changes nothing), a member's
 * holder has the address on its eth0, the keeper's namespace has the bridge and the member's end of the veth pair,
 * and the keeper ends its holders when it ends.
 */
class NetworkKeeperTest {
  @Test
  void theKeeperChecksWhatItIsAskedAndGivesEachMemberItsAddress() throws Exception {
    Prerequisites.requireOsLevel();
    Process keeper = new ProcessBuilder(HelperBinary.path().toString(), "--network-keeper")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      BufferedReader said = new BufferedReader(new InputStreamReader(keeper.getInputStream(),
          StandardCharsets.UTF_8));
      OutputStream ask = keeper.getOutputStream();
      assertEquals("ready", said.readLine());
      for (String bad : new String[] {"10.89.0.300/24", "10.89.0.2", "10.89.0.2/31", "10.89.0.2/7", "db/24",
          "10.89.0.2/24x", "10.89.0.2/", " 10.89.0.2/24", "10.89.0.2/24 10.89.0.3/24", "::1/64"}) {
        assertEquals("error not an address A.B.C.D/N with N in 8..30: " + bad, tell(ask, said, "member " + bad));
      }
      assertEquals("error command too long", tell(ask, said, "member " + "1".repeat(200)));
      assertEquals("error unknown command", tell(ask, said, "members 10.89.0.2/24"));
      assertEquals("error no member held by 1", tell(ask, said, "release 1"));
      assertEquals("error no member held by x", tell(ask, said, "release x"));
      String member = tell(ask, said, "member 10.89.0.7/24");
      assertTrue(member.matches("member [0-9]+"), member);
      long holder = Long.parseLong(member.substring(7));
      assertEquals(keeper.pid(), ProcessHandle.of(holder).orElseThrow().parent().orElseThrow().pid());
      assertTrue(Files.readString(Path.of("/proc/" + holder + "/net/fib_trie")).contains("10.89.0.7"),
          "the holder's namespace has the member's address");
      String links = Files.readString(Path.of("/proc/" + keeper.pid() + "/net/dev"));
      assertTrue(links.contains("isolate0:") && links.contains("vi0:"), links);
      String other = tell(ask, said, "member 10.89.0.8/24");
      assertEquals("released " + holder, tell(ask, said, "release " + holder));
      assertFalse(ProcessHandle.of(holder).isPresent(), "the released holder was reaped");
      assertEquals("error no member held by " + holder, tell(ask, said, "release " + holder));
      long second = Long.parseLong(other.substring(7));
      ask.close(); // the JVM is done with the network: the keeper ends, and its holders before it
      assertTrue(keeper.waitFor(10, TimeUnit.SECONDS));
      assertEquals(0, keeper.exitValue());
      assertFalse(ProcessHandle.of(second).isPresent(), "the keeper reaped its last holder");
    } finally {
      keeper.destroyForcibly();
    }
  }

  private static String tell(OutputStream ask, BufferedReader said, String command) throws Exception {
    ask.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
    ask.flush();
    return said.readLine();
  }
}
