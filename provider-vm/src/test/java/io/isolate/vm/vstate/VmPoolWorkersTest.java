package io.isolate.vm.vstate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The pool's background threads: started when work comes, every task run once even when handed over from many
 * threads at the moment a worker is leaving, and none left once idle. Plain Java: no KVM needed.
 */
class VmPoolWorkersTest {
  private static final long IDLE = TimeUnit.MILLISECONDS.toNanos(50);

  @Test
  void noThreadBeforeWorkAndNoneLeftWhenIdle() throws Exception {
    VmPool.Workers workers = new VmPool.Workers("isolate-vm-test-idle", 2, IDLE);
    assertEquals(0, workers.live(), "no thread before any work");
    CountDownLatch ran = new CountDownLatch(1);
    workers.execute(ran::countDown);
    assertTrue(ran.await(5, TimeUnit.SECONDS));
    assertTrue(workers.live() > 0);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (workers.live() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, workers.live(), "idle workers end");
    while (threadNamed("isolate-vm-test-idle") && System.nanoTime() < deadline) {
      Thread.sleep(10); // a worker that gave up its slot is returning
    }
    assertTrue(!threadNamed("isolate-vm-test-idle"), "no worker thread remains");
  }

  private static boolean threadNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name));
  }

  @Test
  void everyTaskRunsOnceWhileWorkersComeAndGo() throws Exception {
    // an idle time short enough that workers keep leaving while tasks keep coming
    VmPool.Workers workers = new VmPool.Workers("isolate-vm-test-churn", 2, TimeUnit.MICROSECONDS.toNanos(200));
    AtomicInteger count = new AtomicInteger();
    int submitters = 4;
    int each = 5_000;
    Thread[] threads = new Thread[submitters];
    for (int s = 0; s < submitters; s++) {
      threads[s] = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          workers.execute(count::incrementAndGet);
          if (i % 500 == 0) {
            try {
              Thread.sleep(1); // let the workers go idle and leave now and then
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      });
      threads[s].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (count.get() < submitters * each && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(submitters * each, count.get(), "every task ran once");
  }
}
