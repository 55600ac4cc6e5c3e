package io.isolate.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result file into one SVG bar chart per benchmark class: the median of each method, ours
 * beside the baseline measured in the same run, with the ratio written on each bar. Plain SVG, so the
 * documentation build needs nothing but a JDK.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.isolate.benchmarks.Plots results.json OUTPUT_DIR}
 */
public final class Plots {
  private static final int WIDTH = 640;
  private static final int BAR_HEIGHT = 28;
  private static final int LEFT = 170;

  private Plots() {}

  /** One measured method: its name, median and unit. */
  record Measurement(String method, double median, String unit) {}

  public static void main(String[] args) throws IOException {
    Map<String, List<Measurement>> byClass = read(Path.of(args[0]));
    Path out = Files.createDirectories(Path.of(args[1]));
    for (var e : byClass.entrySet()) {
      Path file = out.resolve(e.getKey() + ".svg");
      Files.writeString(file, svg(e.getKey(), e.getValue()));
      System.out.println("wrote " + file);
    }
  }

  static Map<String, List<Measurement>> read(Path json) throws IOException {
    Map<String, List<Measurement>> byClass = new LinkedHashMap<>();
    for (JsonNode r : new JsonMapper().readTree(json.toFile())) {
      String benchmark = r.path("benchmark").asText();
      int dot = benchmark.lastIndexOf('.');
      String cls = benchmark.substring(benchmark.lastIndexOf('.', dot - 1) + 1, dot);
      // a parameterized benchmark is one group per parameter set: its methods compare within it
      var params = r.path("params").fields();
      while (params.hasNext()) {
        var param = params.next();
        cls += "-" + param.getKey() + "-" + param.getValue().asText();
      }
      JsonNode metric = r.path("primaryMetric");
      JsonNode p = metric.path("scorePercentiles");
      double median = p.has("50.0") ? p.path("50.0").asDouble() : metric.path("score").asDouble();
      byClass.computeIfAbsent(cls, k -> new ArrayList<>())
          .add(new Measurement(benchmark.substring(dot + 1), median, metric.path("scoreUnit").asText()));
    }
    return byClass;
  }

  static String svg(String title, List<Measurement> ms) {
    double max = ms.stream().mapToDouble(Measurement::median).max().orElse(1);
    Measurement baseline = ms.stream().filter(m -> !m.method().startsWith("isolate")).findFirst().orElse(null);
    int height = 50 + ms.size() * (BAR_HEIGHT + 10) + 20;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
        + " font-family=\"sans-serif\" font-size=\"13\">%n", WIDTH, height));
    s.append(String.format(Locale.ROOT, "<title>%s</title>%n", escape(title)));
    s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s"
        + " (median, %s; lower is better)</text>%n", escape(title), escape(ms.get(0).unit())));
    int y = 40;
    for (Measurement m : ms) {
      int w = (int) Math.max(2, (WIDTH - LEFT - 130) * m.median() / max);
      boolean ours = m.method().startsWith("isolate");
      s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\">%s</text>%n", y + 19, escape(m.method())));
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n",
          LEFT, y, w, BAR_HEIGHT, ours ? "#3f51b5" : "#9e9e9e"));
      String ratio = baseline == null || m == baseline ? "" : String.format(Locale.ROOT, " (%.2fx)",
          m.median() / baseline.median());
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s%s</text>%n", LEFT + w + 6, y + 19,
          format(m.median()), ratio));
      y += BAR_HEIGHT + 10;
    }
    s.append("</svg>\n");
    return s.toString();
  }

  static String format(double v) {
    return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
