package io.isolate.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Settings are read in one place: the main sources of every module of the repository call no system-property
 * reader but {@link SystemProperties}, and name {@code isolate.*} properties only in the settings records (where
 * each is documented with its default) and in the runtime ({@code ProviderRuntime}), which reads
 * {@code isolate.LEVEL.disabled}.
 */
class SystemPropertiesSourcesTest {
  private static final Pattern READER = Pattern.compile(
      "System\\.(getProperty|getProperties)\\(|Long\\.getLong\\(|Integer\\.getInteger\\(|Boolean\\.getBoolean\\(");
  private static final Pattern PROPERTY_NAME = Pattern.compile("\"isolate\\.[a-z0-9]+\\.[A-Za-z]+\"");

  /** The repository: the parent of this module's directory, where the parent pom is. */
  private static Path repository() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    assertTrue(Files.readString(root.resolve("pom.xml")).contains("<artifactId>isolate-parent</artifactId>"),
        "not run from a module of the repository: " + root);
    return root;
  }

  private static List<Path> mainSources() throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> modules = Files.list(repository())) {
      for (Path module : modules.toList()) {
        Path main = module.resolve("src/main/java");
        if (Files.isDirectory(main)) {
          try (Stream<Path> s = Files.walk(main)) {
            s.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
          }
        }
      }
    }
    assertTrue(files.size() > 100, "found only " + files.size() + " source files");
    return files;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void onlySystemPropertiesReadsThem() throws IOException {
    List<String> offenders = new ArrayList<>();
    for (Path p : mainSources()) {
      if (p.endsWith(Path.of("io/isolate/spi/SystemProperties.java"))) {
        continue;
      }
      Matcher m = READER.matcher(read(p));
      if (m.find()) {
        offenders.add(p + ": " + m.group());
      }
    }
    assertEquals(List.of(), offenders, "system properties read outside SystemProperties");
  }

  @Test
  void propertyNamesAppearOnlyInTheSettingsRecords() throws IOException {
    List<String> offenders = new ArrayList<>();
    for (Path p : mainSources()) {
      String name = p.getFileName().toString();
      if (name.endsWith("Settings.java")) {
        continue;
      }
      Matcher m = PROPERTY_NAME.matcher(read(p));
      while (m.find()) {
        offenders.add(p + ": " + m.group());
      }
    }
    assertEquals(List.of(), offenders, "isolate.* property names outside the settings records");
  }
}
