package io.isolate.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.StartFailedException;
import io.isolate.container.helper.HelperBinary;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A network holds at most 253 members at once (10.89.0.2 to .254): each gets an address of its own, the 254th is
 * refused by name, and a member that leaves gives its address to the next.
 */
class NetworkCapacityTest {
  @Test
  void theNetworkTakes253MembersRefusesTheNextAndReusesAFreedAddress() {
    Prerequisites.requireOsLevel();
    ContainerNetwork network = ContainerNetwork.start(HelperBinary.path(), ContainerProvider.runRoot());
    try {
      List<ContainerNetwork.Member> members = new ArrayList<>();
      Set<String> addresses = new HashSet<>();
      for (int i = 0; i < 253; i++) {
        ContainerNetwork.Member m = network.join(List.of("m" + i), "m" + i);
        members.add(m);
        addresses.add(m.address());
      }
      assertEquals(253, addresses.size(), "every member has an address of its own");
      StartFailedException full = assertThrows(StartFailedException.class, () -> network.join(List.of("x"), "x"));
      assertTrue(full.getMessage().contains("the network is full: 253 members"), full.getMessage());
      String freed = members.get(100).address();
      members.get(100).close();
      ContainerNetwork.Member next = network.join(List.of("next"), "next");
      assertEquals(freed, next.address(), "the freed address is given to the next member");
      next.close();
      members.forEach(ContainerNetwork.Member::close);
    } finally {
      network.close();
    }
  }
}
