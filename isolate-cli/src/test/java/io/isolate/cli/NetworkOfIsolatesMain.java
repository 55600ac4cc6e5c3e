package io.isolate.cli;

import io.isolate.ExitResult;
import io.isolate.Isolate;
import io.isolate.IsolateNetwork;
import io.isolate.IsolationLevel;
import io.isolate.Workload;

/**
 * Three isolates on a network of isolates, two serving on the same port (each member has an address of its own) and
 * one asking both by alias, for {@link NonRootUserTest} to run as a user who is not root (the network then has a
 * user namespace of its own). Prints the client's exit code and what the client printed.
 */
public final class NetworkOfIsolatesMain {
  private NetworkOfIsolatesMain() {}

  public static void main(String[] args) {
    String client = "import sys, time, urllib.request\n"
        + "for host in ('server', 'second'):\n"
        + "  for i in range(300):\n"
        + "    try:\n"
        + "      print(urllib.request.urlopen('http://' + host + ':8080/hostname', timeout=2).status, end=' ')\n"
        + "      break\n"
        + "    except OSError as e:\n"
        + "      time.sleep(0.02)\n"
        + "  else:\n"
        + "    sys.exit(1)\n";
    try (IsolateNetwork network = IsolateNetwork.create();
        Isolate server = Isolate.builder().level(IsolationLevel.OS).acceptUnenforcedLimits(true)
            .network(network, "server").workload(Workload.command("/usr/bin/python3", "-m", "http.server", "8080",
                "--bind", "0.0.0.0", "--directory", "/etc")).build();
        Isolate second = Isolate.builder().level(IsolationLevel.OS).acceptUnenforcedLimits(true)
            .network(network, "second").workload(Workload.command("/usr/bin/python3", "-m", "http.server", "8080",
                "--bind", "0.0.0.0", "--directory", "/etc")).build();
        Isolate asker = Isolate.builder().level(IsolationLevel.OS).acceptUnenforcedLimits(true)
            .network(network, "client").workload(Workload.command("/usr/bin/python3", "-c", client)).build()) {
      server.start();
      second.start();
      ExitResult r = asker.run();
      ExitResult id = server.exec("/usr/bin/id", "-u");
      System.out.println("client " + r.exitCode() + " " + r.stdoutText().trim() + " " + r.detail() + " "
          + r.stderrText().trim() + "; exec as " + id.stdoutText().trim() + " " + id.detail());
    }
  }
}
