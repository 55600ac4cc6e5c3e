package io.isolate.container;

import io.isolate.InvalidSpecException;
import io.isolate.IsolateSpec;
import io.isolate.ProviderSettings;
import io.isolate.spi.SystemProperties;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Every setting of the OS level, read from system properties here and nowhere else. Each is read when it is needed
 * (a new isolate, a new image, the first use of the helper), so a property set before that takes effect. The
 * documentation site lists them on its settings page.
 *
 * @param helperDir {@value #HELPER_DIR}: where the native helper is extracted (first choice; then
 *     {@code java.io.tmpdir}/isolate-UID, then ~/.cache/isolate-UID, the first on an exec mount wins)
 * @param runDir {@value #RUN_DIR}: the directory of per-isolate run directories (default
 *     {@code java.io.tmpdir}/isolate-UID/run)
 * @param imageCache {@value #IMAGE_CACHE}: the layer cache (default ~/.cache/isolate-UID/images)
 * @param imageCacheMaxBytes {@value #IMAGE_CACHE_MAX_BYTES}: the cache is trimmed to this size (default 8 GiB)
 * @param maxImageBytes {@value #MAX_IMAGE_BYTES}: all layers of one image together (default 8 GiB)
 * @param maxLayerBytes {@value #MAX_LAYER_BYTES}: one unpacked layer (default 8 GiB)
 * @param imagePrepareSeconds {@value #IMAGE_PREPARE_SECONDS}: reading, checking and unpacking one image (default 600)
 * @param cgroupParent {@value #CGROUP_PARENT}: the cgroup (relative to each hierarchy's root) under which isolates'
 *     cgroups are made. For a JVM that is not root it is the subtree delegated to its user: on cgroup v1 (and
 *     hybrid hosts) a directory of that name that root made in each of the memory, cpu, cpuacct and pids
 *     hierarchies and chowned to the user; on cgroup v2 a cgroup the user may write (like a systemd
 *     {@code Delegate=yes} unit's) with the memory, cpu and pids controllers. Default: for root this JVM's own
 *     cgroup; for another user on cgroup v2 the parent of its own cgroup or its own cgroup when delegated to it
 *     (see the OS level page), else none (limits then need explicit consent)
 * @param cgroupsDisabled {@value #CGROUPS_DISABLED}: run without cgroups (limits then need explicit consent)
 * @param cgroupMoveJvm {@value #CGROUP_MOVE_JVM}: on cgroup v2, move the JVM's processes into a leaf so that its
 *     cgroup can delegate controllers
 * @param registries how images are pulled from registries (see {@link RegistrySettings} for its properties)
 */
public record ContainerSettings(Optional<Path> helperDir, Optional<Path> runDir, Optional<Path> imageCache,
    long imageCacheMaxBytes, long maxImageBytes, long maxLayerBytes, long imagePrepareSeconds,
    Optional<String> cgroupParent, boolean cgroupsDisabled, boolean cgroupMoveJvm, RegistrySettings registries)
    implements ProviderSettings {
  public static final String HELPER_DIR = "isolate.container.helperDir";
  public static final String RUN_DIR = "isolate.container.runDir";
  public static final String IMAGE_CACHE = "isolate.container.imageCache";
  public static final String IMAGE_CACHE_MAX_BYTES = "isolate.container.imageCacheMaxBytes";
  public static final String MAX_IMAGE_BYTES = "isolate.container.maxImageBytes";
  public static final String MAX_LAYER_BYTES = "isolate.container.maxLayerBytes";
  public static final String IMAGE_PREPARE_SECONDS = "isolate.container.imagePrepareSeconds";
  public static final String CGROUP_PARENT = "isolate.cgroup.parent";
  public static final String CGROUPS_DISABLED = "isolate.cgroup.disabled";
  public static final String CGROUP_MOVE_JVM = "isolate.cgroup.moveJvm";

  static final long DEFAULT_IMAGE_CACHE_MAX_BYTES = 8L << 30;
  static final long DEFAULT_MAX_IMAGE_BYTES = 8L << 30;
  static final long DEFAULT_MAX_LAYER_BYTES = 8L << 30;
  static final long DEFAULT_IMAGE_PREPARE_SECONDS = 600;

  // The settings that belong to one isolate: its run directory and what preparing its image may take.

  /** @param dir where this isolate's run directory is made @return these settings with it */
  public ContainerSettings withRunDir(Path dir) {
    return new ContainerSettings(helperDir, Optional.of(dir.toAbsolutePath()), imageCache, imageCacheMaxBytes,
        maxImageBytes, maxLayerBytes, imagePrepareSeconds, cgroupParent, cgroupsDisabled, cgroupMoveJvm, registries);
  }

  /** @param bytes the most this isolate's image may unpack to @return these settings with it */
  public ContainerSettings withMaxImageBytes(long bytes) {
    positive("maxImageBytes", bytes);
    return new ContainerSettings(helperDir, runDir, imageCache, imageCacheMaxBytes, bytes, maxLayerBytes,
        imagePrepareSeconds, cgroupParent, cgroupsDisabled, cgroupMoveJvm, registries);
  }

  /** @param bytes the most one layer of this isolate's image may unpack to @return these settings with it */
  public ContainerSettings withMaxLayerBytes(long bytes) {
    positive("maxLayerBytes", bytes);
    return new ContainerSettings(helperDir, runDir, imageCache, imageCacheMaxBytes, maxImageBytes, bytes,
        imagePrepareSeconds, cgroupParent, cgroupsDisabled, cgroupMoveJvm, registries);
  }

  /** @param seconds how long preparing this isolate's image may take @return these settings with it */
  public ContainerSettings withImagePrepareSeconds(long seconds) {
    if (seconds < 0) {
      throw new InvalidSpecException("imagePrepareSeconds (" + seconds + ") must not be negative");
    }
    return new ContainerSettings(helperDir, runDir, imageCache, imageCacheMaxBytes, maxImageBytes, maxLayerBytes,
        seconds, cgroupParent, cgroupsDisabled, cgroupMoveJvm, registries);
  }

  /** @param bytes the size the layer cache is trimmed to after this isolate's image @return these settings */
  public ContainerSettings withImageCacheMaxBytes(long bytes) {
    if (bytes < 0) {
      throw new InvalidSpecException("imageCacheMaxBytes (" + bytes + ") must not be negative");
    }
    return new ContainerSettings(helperDir, runDir, imageCache, bytes, maxImageBytes, maxLayerBytes,
        imagePrepareSeconds, cgroupParent, cgroupsDisabled, cgroupMoveJvm, registries);
  }

  /** @param settings how this isolate's image is pulled from its registry @return these settings with them */
  public ContainerSettings withRegistries(RegistrySettings settings) {
    return new ContainerSettings(helperDir, runDir, imageCache, imageCacheMaxBytes, maxImageBytes, maxLayerBytes,
        imagePrepareSeconds, cgroupParent, cgroupsDisabled, cgroupMoveJvm, java.util.Objects.requireNonNull(settings));
  }

  private static void positive(String name, long value) {
    if (value <= 0) {
      throw new InvalidSpecException(name + " (" + value + ") must be positive");
    }
  }

  /** The helper's directory, the layer cache and the cgroups belong to the JVM. */
  @Override
  public String firstJvmWideDifference(ProviderSettings jvm) {
    ContainerSettings j = (ContainerSettings) jvm;
    return !helperDir.equals(j.helperDir) ? "helperDir" : !imageCache.equals(j.imageCache) ? "imageCache"
        : !cgroupParent.equals(j.cgroupParent) ? "cgroupParent"
        : cgroupsDisabled != j.cgroupsDisabled ? "cgroupsDisabled"
        : cgroupMoveJvm != j.cgroupMoveJvm ? "cgroupMoveJvm" : null;
  }

  /** The settings of {@code spec}: its own if it has them, else what the system properties say now. */
  public static ContainerSettings of(IsolateSpec spec) {
    return spec.settings(ContainerSettings.class).orElseGet(ContainerSettings::fromSystemProperties);
  }

  /**
   * The settings as the system properties say now.
   *
   * @return the settings
   * @throws IllegalStateException naming a property whose value does not parse
   */
  public static ContainerSettings fromSystemProperties() {
    return new ContainerSettings(
        SystemProperties.directory(HELPER_DIR),
        SystemProperties.directory(RUN_DIR),
        SystemProperties.directory(IMAGE_CACHE),
        SystemProperties.bytes(IMAGE_CACHE_MAX_BYTES, DEFAULT_IMAGE_CACHE_MAX_BYTES, 0),
        SystemProperties.bytes(MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGE_BYTES, 1),
        SystemProperties.bytes(MAX_LAYER_BYTES, DEFAULT_MAX_LAYER_BYTES, 1),
        SystemProperties.number(IMAGE_PREPARE_SECONDS, DEFAULT_IMAGE_PREPARE_SECONDS, 0, 86_400L * 365),
        SystemProperties.string(CGROUP_PARENT),
        SystemProperties.flag(CGROUPS_DISABLED),
        SystemProperties.flag(CGROUP_MOVE_JVM),
        RegistrySettings.fromSystemProperties());
  }
}
