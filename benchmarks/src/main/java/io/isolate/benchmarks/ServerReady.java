package io.isolate.benchmarks;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Isolate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Starting a server and waiting until it accepts connections: in an isolate, or as a plain process. */
final class ServerReady {
  private ServerReady() {}

  /** Starts the isolate's workload, waits until {@code guestPort}'s host port accepts, then closes the isolate. */
  static int isolate(Isolate.Builder builder, int guestPort) {
    try (Isolate isolate = builder.build()) {
      Execution e = isolate.start();
      int port = isolate.mappedPort(guestPort);
      awaitPort(port, () -> {
        if (!e.isAlive()) {
          ExitResult r = e.onExit().join();
          throw new IllegalStateException("the server ended: " + r + " " + r.stderrText());
        }
      });
      return port;
    }
  }

  /** Starts {@code argv} as a plain process, waits until {@code port} accepts, then kills it and its children. */
  static int plain(int port, String... argv) throws IOException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      awaitPort(port, () -> {
        if (!p.isAlive()) {
          throw new IllegalStateException(String.join(" ", argv) + " ended with " + p.exitValue());
        }
      });
      return port;
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void awaitPort(int port, Runnable stillAlive) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException notYet) {
        stillAlive.run();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("port " + port + " did not accept within 60 s");
        }
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The ids of host user {@code name}. */
  static int[] hostUser(String name) throws IOException {
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String[] f = line.split(":", -1);
      if (f.length > 3 && f[0].equals(name)) {
        return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])};
      }
    }
    throw new IllegalStateException("no host user " + name);
  }
}
