package io.isolate.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.Workload;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Many isolates at once, from many threads. */
class WasmConcurrencyTest {
  private static final int ISOLATES = 200;

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void runs200IsolatesAliveAtTheSameTimeFromManyThreads() throws Exception {
    byte[] module = Fixtures.wasm("sha256sum");
    ExecutorService threads = Executors.newFixedThreadPool(16);
    List<Isolate> isolates = new ArrayList<>();
    try {
      // Build and start 200 isolates from 16 threads; each guest blocks on its stdin pipe, so all are alive.
      List<Future<Execution>> starts = new ArrayList<>();
      for (int i = 0; i < ISOLATES; i++) {
        Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module))
            .stdin(Input.pipe()).limits(Limits.builder().wallTime(Duration.ofSeconds(60)).build()).build();
        isolates.add(isolate);
        starts.add(threads.submit(isolate::start));
      }
      List<Execution> executions = new ArrayList<>();
      for (Future<Execution> f : starts) {
        executions.add(f.get(30, TimeUnit.SECONDS));
      }
      for (Execution e : executions) {
        assertTrue(e.isAlive(), "every guest waits for its input");
      }
      // Feed them from many threads, each a different input.
      List<Future<?>> feeds = new ArrayList<>();
      for (int i = 0; i < ISOLATES; i++) {
        int n = i;
        Execution e = executions.get(i);
        feeds.add(threads.submit(() -> {
          e.stdin().write(("input number " + n).getBytes(StandardCharsets.UTF_8));
          e.stdin().close();
          return null;
        }));
      }
      for (Future<?> f : feeds) {
        f.get(30, TimeUnit.SECONDS);
      }
      for (int i = 0; i < ISOLATES; i++) {
        ExitResult r = executions.get(i).await(Duration.ofSeconds(60));
        assertTrue(r.isSuccess(), r::toString);
        assertEquals(sha256(("input number " + i).getBytes(StandardCharsets.UTF_8)) + "  -\n", r.stdoutText());
      }
    } finally {
      isolates.forEach(Isolate::close);
      threads.shutdownNow();
    }
  }

  @Test
  void calls200LiveIsolatesConcurrently() throws Exception {
    byte[] module = Fixtures.wasm("lib");
    ExecutorService threads = Executors.newFixedThreadPool(16);
    List<Isolate> isolates = new ArrayList<>();
    try {
      for (int i = 0; i < ISOLATES; i++) {
        isolates.add(Isolate.builder().level(IsolationLevel.PROCESS).workload(Workload.wasm(module))
            .hostFunction(WasmCallTest.HOST_ADD).hostFunction(WasmCallTest.LOG_IGNORED).build());
      }
      List<Future<?>> calls = new ArrayList<>();
      for (int round = 0; round < 5; round++) {
        for (int i = 0; i < ISOLATES; i++) {
          Isolate isolate = isolates.get(i);
          int n = i;
          calls.add(threads.submit(() -> {
            assertArrayEquals(new long[] {n + 1000}, isolate.call("add_via_host", n, 500));
            return null;
          }));
        }
      }
      for (Future<?> f : calls) {
        f.get(60, TimeUnit.SECONDS);
      }
      // each instance saw its own calls only: the counter of each is independent
      for (Isolate isolate : isolates) {
        assertArrayEquals(new long[] {1}, isolate.call("count"));
      }
    } finally {
      isolates.forEach(Isolate::close);
      threads.shutdownNow();
    }
  }

  @Test
  void callsOnOneIsolateFromManyThreadsAreSerialized() throws Exception {
    try (Isolate isolate = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(Fixtures.wasm("lib")))
        .hostFunction(WasmCallTest.HOST_ADD).hostFunction(WasmCallTest.LOG_IGNORED).build()) {
      ExecutorService threads = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> calls = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
          calls.add(threads.submit(() -> isolate.call("count")));
        }
        for (Future<?> f : calls) {
          f.get(30, TimeUnit.SECONDS);
        }
      } finally {
        threads.shutdownNow();
      }
      assertArrayEquals(new long[] {2001}, isolate.call("count"), "no increment was lost");
    }
  }
}
