package io.isolate.benchmarks;

import io.isolate.ExitResult;
import io.isolate.Input;
import io.isolate.Isolate;
import io.isolate.IsolationLevel;
import io.isolate.Limits;
import io.isolate.SizeUnit;
import io.isolate.Workload;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A real compressor at PROCESS: zlib 1.2.13's {@code minigzip} ({@code fixtures/minigzip.wasm}, provider-wasm's
 * real-program fixture, built as its {@code src/test/c/real/README.md} says) compressing {@link #SIZE} bytes of
 * generated text (about 2.7:1 at level 6) from stdin to stdout, from start to exit. Against Debian's native
 * {@code gzip -6 -c} compressing the same bytes in the same JMH run, its stdin redirected from a file: Debian ships
 * no native {@code minigzip}, and minigzip compresses at zlib's default level, 6. gzip has its own implementation
 * of deflate, not zlib's, so the two outputs differ in their bytes: each iteration's last output is checked by
 * decompressing it with {@link GZIPInputStream} back to the input, outside the measured time. {@code isolate} runs
 * in a JVM started with {@code -XX:-DontCompileHugeMethods}, as the {@code isolate} command starts its own; there
 * is no {@code isolateJvmDefault}, because deflate's functions are under HotSpot's limit (the module's huge ones,
 * {@code inflate}, {@code dlmalloc} and {@code printf_core}, are hardly run when compressing).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 5)
@Measurement(iterations = 5, time = 5)
public class ZlibBenchmark {
  static final int SIZE = 5_500_000;

  // Words in a skewed distribution, with line numbers and the odd number among them: text that compresses about
  // as prose does, neither trivially (like one repeated byte) nor hardly (like random bytes).
  private static final String[] WORDS = ("the of and to in is was that for it with as his on be at by had are but "
      + "from or have an they which one you were all her she there would their we him been has when who will no more "
      + "if out so up said what its about than into them can only other time new some could these two may first then "
      + "do any like my now over such our man me even most made after also did many before must through back years "
      + "where much your way well down should because each just those people how too little state good very make "
      + "world still own see men work long get here between both life being under never day same another know while "
      + "last might us great old year off come since against go came right used take three").split(" ");

  private byte[] input;
  private Path inputFile;
  private Isolate isolate;
  private volatile byte[] last;

  @Setup
  public void setUp() throws IOException {
    input = text(SIZE, 42);
    inputFile = Files.createTempFile("isolate-bench", ".txt");
    inputFile.toFile().deleteOnExit();
    Files.write(inputFile, input);
    isolate = Isolate.builder().level(IsolationLevel.PROCESS)
        .workload(Workload.wasm(Fixtures.resource("minigzip.wasm")).withName("minigzip"))
        .stdin(Input.of(input))
        .limits(Limits.builder().memory(256, SizeUnit.MEGABYTES).wallTime(Duration.ofMinutes(2)).build())
        .build();
  }

  @TearDown(Level.Iteration)
  public void checkLastOutput() throws IOException {
    byte[] compressed = last;
    last = null;
    if (compressed == null) {
      return;
    }
    try (GZIPInputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
      if (!Arrays.equals(input, gunzip.readAllBytes())) {
        throw new IllegalStateException("the " + compressed.length + " compressed bytes do not restore the input");
      }
    }
  }

  @TearDown
  public void tearDown() throws IOException {
    isolate.close();
    Files.deleteIfExists(inputFile);
  }

  @Benchmark
  @Fork(value = 1, jvmArgsAppend = "-XX:-DontCompileHugeMethods")
  public int isolate() {
    ExitResult r = isolate.run();
    byte[] out = r.stdout();
    // a cheap check here; the full one, decompressing, after the iteration
    if (!r.isSuccess() || out.length < 18 || out.length > SIZE / 2) {
      throw new IllegalStateException("minigzip at PROCESS: " + r + " " + r.stderrText());
    }
    last = out;
    return out.length;
  }

  @Benchmark
  @Fork(1)
  public int nativeGzip() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("gzip", "-6", "-c").redirectInput(inputFile.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (p.waitFor() != 0 || out.length < 18 || out.length > SIZE / 2) {
      throw new IllegalStateException("native gzip exited " + p.exitValue() + " with " + out.length + " bytes");
    }
    last = out;
    return out.length;
  }

  /** {@code size} bytes of deterministic text (the same for the same seed). */
  static byte[] text(int size, long seed) {
    Random random = new Random(seed);
    StringBuilder sb = new StringBuilder(size + 256);
    for (int line = 1; sb.length() < size; line++) {
      sb.append(line).append(": ");
      int words = 6 + random.nextInt(10);
      for (int i = 0; i < words; i++) {
        if (random.nextInt(12) == 0) {
          sb.append(random.nextInt(100_000)).append(' ');
        }
        double skew = random.nextDouble();
        sb.append(WORDS[(int) (WORDS.length * skew * skew)]).append(i == words - 1 ? ".\n" : " ");
      }
    }
    sb.setLength(size);
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }
}
