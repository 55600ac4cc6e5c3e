package io.isolate.benchmarks;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints, per benchmark class of a JMH JSON result file, the median of each method and its ratio to the
 * class's baseline (the first method whose name does not start with {@code isolate}): the figures the README
 * and the documentation quote. Medians, because the machines are shared and noisy. With {@code --markdown} it
 * prints the Markdown table of the performance page.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.isolate.benchmarks.Ratios [--markdown] results.json}
 */
public final class Ratios {
  private Ratios() {}

  public static void main(String[] args) throws Exception {
    boolean markdown = args[0].equals("--markdown");
    Map<String, List<Plots.Measurement>> results = Plots.read(Path.of(args[markdown ? 1 : 0]));
    if (markdown) {
      System.out.println("| benchmark | Isolate (median) | baseline (median) | ratio |");
      System.out.println("|---|---|---|---|");
    }
    for (Map.Entry<String, List<Plots.Measurement>> e : results.entrySet()) {
      List<Plots.Measurement> ms = e.getValue();
      Plots.Measurement baseline = ms.stream().filter(m -> !m.method().startsWith("isolate")).findFirst()
          .orElse(null);
      if (!markdown) {
        System.out.println(e.getKey() + " (median, " + ms.get(0).unit() + ")");
      }
      for (Plots.Measurement m : ms) {
        double ratio = baseline == null ? Double.NaN : m.median() / baseline.median();
        if (!markdown) {
          System.out.printf(Locale.ROOT, "  %-28s %12.3f%s%n", m.method(), m.median(),
              baseline == null ? "" : String.format(Locale.ROOT, "  %.2fx %s", ratio, baseline.method()));
        } else if (m != baseline) {
          String name = m.method().equals("isolate") ? e.getKey() : e.getKey() + "." + m.method();
          System.out.printf(Locale.ROOT, "| `%s` | %s %s | %s | %s |%n", name, Plots.format(m.median()), m.unit(),
              baseline == null ? "(no baseline)" : baseline.method() + ": " + Plots.format(baseline.median()) + " "
                  + baseline.unit(),
              baseline == null ? "" : String.format(Locale.ROOT, "**%.2fx**", ratio));
        }
      }
    }
  }
}
