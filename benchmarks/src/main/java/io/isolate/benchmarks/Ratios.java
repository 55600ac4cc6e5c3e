package io.isolate.benchmarks;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Prints, per benchmark class of a JMH JSON result file, the median of each method and its ratio to the
 * class's baseline (the method whose name does not start with {@code isolate}): the figures the README
 * quotes. Medians, because the machines are shared and noisy.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.isolate.benchmarks.Ratios results.json}
 */
public final class Ratios {
  private Ratios() {}

  public static void main(String[] args) throws Exception {
    for (Map.Entry<String, List<Plots.Measurement>> e : Plots.read(Path.of(args[0])).entrySet()) {
      List<Plots.Measurement> ms = e.getValue();
      System.out.println(e.getKey() + " (median, " + ms.get(0).unit() + ")");
      Plots.Measurement baseline = ms.stream().filter(m -> !m.method().startsWith("isolate")).findFirst()
          .orElse(null);
      for (Plots.Measurement m : ms) {
        String ratio = baseline == null ? "" : String.format("  %.2fx %s", m.median() / baseline.median(),
            baseline.method());
        System.out.printf("  %-28s %12.3f%s%n", m.method(), m.median(), ratio);
      }
    }
  }
}
