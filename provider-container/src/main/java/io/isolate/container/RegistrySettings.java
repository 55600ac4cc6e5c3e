package io.isolate.container;

import io.isolate.InvalidSpecException;
import io.isolate.spi.SystemProperties;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * How images are pulled from registries ({@link io.isolate.Rootfs#image(String)}), part of {@link ContainerSettings}.
 *
 * @param insecure {@value #INSECURE}: registries ({@code host[:port]}, comma-separated) that may be reached over plain
 *     HTTP or HTTPS with any certificate, as Docker's {@code insecure-registries}; a registry on a loopback address
 *     always may
 * @param mirrors {@value #MIRRORS}: mirrors tried in order before a registry, as {@code REGISTRY=MIRROR[,MIRROR];...}
 *     (for example {@code docker.io=mirror.internal:5000}), for air-gapped CI
 * @param dockerConfig {@value #DOCKER_CONFIG}: the file with registry credentials (default
 *     {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}); the credential helper it names for a
 *     registry ({@code credHelpers}, {@code credsStore}: {@code docker-credential-NAME} on the PATH) is asked, else
 *     its {@code auths} entry is used
 * @param pullAlways {@value #PULL_ALWAYS}: ask the registry what a tag names at every preparation; by default a tag
 *     pulled once is used from the cache, as Testcontainers does (a digest always is)
 * @param progress told how a pull goes (per blob: bytes so far and total), on the pulling thread; null for nobody
 */
public record RegistrySettings(Set<String> insecure, Map<String, List<String>> mirrors, Optional<Path> dockerConfig,
    boolean pullAlways, Consumer<PullProgress> progress) {
  public static final String INSECURE = "isolate.container.insecureRegistries";
  public static final String MIRRORS = "isolate.container.registryMirrors";
  public static final String DOCKER_CONFIG = "isolate.container.dockerConfig";
  public static final String PULL_ALWAYS = "isolate.container.pullAlways";

  /** How one blob of a pull goes. */
  public record PullProgress(String image, String blob, long bytes, long totalBytes, boolean done) {}

  public RegistrySettings {
    for (String host : insecure) {
      checkHost("insecure registry", host);
    }
    mirrors.forEach((registry, list) -> list.forEach(m -> checkHost("mirror of " + registry, m)));
    insecure = Set.copyOf(insecure);
    Map<String, List<String>> copy = new LinkedHashMap<>();
    mirrors.forEach((registry, list) -> copy.put(registry, List.copyOf(list)));
    mirrors = Map.copyOf(copy);
  }

  /** @param registries registries that may be reached without verified TLS @return these settings with them */
  public RegistrySettings withInsecure(Set<String> registries) {
    return new RegistrySettings(registries, mirrors, dockerConfig, pullAlways, progress);
  }

  /** @param mirrorsOf per registry, the mirrors to try first @return these settings with them */
  public RegistrySettings withMirrors(Map<String, List<String>> mirrorsOf) {
    return new RegistrySettings(insecure, mirrorsOf, dockerConfig, pullAlways, progress);
  }

  /** @param file the Docker configuration file with credentials @return these settings with it */
  public RegistrySettings withDockerConfig(Path file) {
    return new RegistrySettings(insecure, mirrors, Optional.of(file.toAbsolutePath()), pullAlways, progress);
  }

  /** @param always whether a tag is resolved again at each preparation @return these settings with it */
  public RegistrySettings withPullAlways(boolean always) {
    return new RegistrySettings(insecure, mirrors, dockerConfig, always, progress);
  }

  /** @param listener told how a pull goes @return these settings with it */
  public RegistrySettings withProgress(Consumer<PullProgress> listener) {
    return new RegistrySettings(insecure, mirrors, dockerConfig, pullAlways, listener);
  }

  /** The credentials file to read: the configured one, else Docker's. */
  public Path dockerConfigFile() {
    return dockerConfig.orElseGet(() -> SystemProperties.environment("DOCKER_CONFIG")
        .map(dir -> Path.of(dir).resolve("config.json"))
        .orElse(SystemProperties.userHome().resolve(".docker").resolve("config.json")));
  }

  /**
   * The settings as the system properties say now.
   *
   * @return the settings
   * @throws IllegalStateException naming a property whose value does not parse
   */
  public static RegistrySettings fromSystemProperties() {
    Set<String> insecure = SystemProperties.string(INSECURE)
        .map(v -> Set.of(v.split("\\s*,\\s*"))).orElse(Set.of());
    Map<String, List<String>> mirrors = new LinkedHashMap<>();
    SystemProperties.string(MIRRORS).ifPresent(v -> {
      for (String entry : v.split("\\s*;\\s*")) {
        int eq = entry.indexOf('=');
        if (eq <= 0 || eq == entry.length() - 1) {
          throw new IllegalStateException("-D" + MIRRORS + ": '" + entry + "' is not REGISTRY=MIRROR[,MIRROR]");
        }
        mirrors.put(entry.substring(0, eq).trim(), List.of(entry.substring(eq + 1).trim().split("\\s*,\\s*")));
      }
    });
    return new RegistrySettings(insecure, mirrors, SystemProperties.string(DOCKER_CONFIG).map(Path::of),
        SystemProperties.flag(PULL_ALWAYS), null);
  }

  private static void checkHost(String what, String host) {
    if (host == null || host.isBlank() || !host.matches("[A-Za-z0-9.\\[\\]:-]+")) {
      throw new InvalidSpecException(what + " '" + host + "' is not HOST[:PORT]");
    }
  }
}
