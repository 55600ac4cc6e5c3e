package io.isolate.container;

import io.isolate.Isolate;

/** Started by {@link DiesWithTheJvmTest} in its own JVM: starts a long-running isolate, then waits to be killed. */
public final class JvmThatDies {
  private JvmThatDies() {}

  public static void main(String[] args) throws Exception {
    Isolate isolate = Os.sh("sleep " + args[0] + " & sleep " + args[0]).build();
    isolate.start();
    Thread.sleep(300); // let the workload exec
    System.out.println("started");
    System.out.flush();
    Thread.sleep(60_000);
  }
}
