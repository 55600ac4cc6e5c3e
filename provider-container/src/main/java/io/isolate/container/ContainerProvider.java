package io.isolate.container;

import io.isolate.Availability;
import io.isolate.InvalidSpecException;
import io.isolate.Isolate;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.LevelUnavailableException;
import io.isolate.Rootfs;
import io.isolate.RunAs;
import io.isolate.StartFailedException;
import io.isolate.Workload;
import io.isolate.container.cgroup.CgroupDriver;
import io.isolate.container.cgroup.CgroupHost;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.image.ImageStore;
import io.isolate.container.image.ImageUsers;
import io.isolate.container.seccomp.SeccompProfile;
import io.isolate.spi.IsolateBackend;
import io.isolate.spi.IsolationProvider;
import io.isolate.spi.NetworkBackend;
import io.isolate.spi.SystemProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The OS level: Linux namespaces, cgroups and seccomp, applied by a small native helper that this module carries
 * (see {@link SandboxPolicy} for the policy).
 *
 * <pre>{@code
 * try (Isolate isolate = Isolate.builder()
 *         .level(IsolationLevel.OS)
 *         .workload(Workload.command("/bin/sh", "-c", "echo hello from $(hostname)"))
 *         .build()) {
 *   System.out.print(isolate.run().stdoutText());
 * }
 * }</pre>
 *
 * <p>Settings (system properties): {@link ContainerSettings}.
 */
public final class ContainerProvider implements IsolationProvider {

  static final String EMPTY_FILE = "empty-file";
  static final String EMPTY_DIR = "empty-dir";

  private volatile CgroupHost.Detection cgroups;

  @Override
  public IsolationLevel level() {
    return IsolationLevel.OS;
  }

  @Override
  public String name() {
    return "linux-ns";
  }

  @Override
  public Set<Workload.Kind> workloadKinds() {
    return Set.of(Workload.Kind.COMMAND, Workload.Kind.IMAGE_COMMAND);
  }

  @Override
  public Class<ContainerSettings> settingsType() {
    return ContainerSettings.class;
  }

  /**
   * What the JVM's system properties say: the helper's directory, the layer cache and the cgroups are taken from
   * them when first needed, and an isolate cannot have others.
   */
  @Override
  public ContainerSettings jvmSettings() {
    return ContainerSettings.fromSystemProperties();
  }

  @Override
  public Availability probe() {
    String unsupported = HelperBinary.unsupportedPlatform();
    if (unsupported != null) {
      return Availability.unavailable(unsupported);
    }
    Path helper;
    try {
      helper = HelperBinary.path();
    } catch (RuntimeException e) {
      StringBuilder why = new StringBuilder(e.getMessage());
      for (Throwable s : e.getSuppressed()) {
        why.append("; ").append(s.getMessage());
      }
      return Availability.unavailable(why.toString());
    }
    ContainerIsolate.sweepStaleRunDirectories(runRoot());
    String failure = Probe.runTrue(helper, runRoot());
    if (failure != null) {
      return Availability.unavailable(failure);
    }
    CgroupHost.Detection detection = cgroups();
    String overlay = Probe.overlay(helper, runRoot());
    return Availability.available("helper " + helper + "; namespaces user, pid, mount, net, uts, ipc, cgroup; "
        + detection.summary() + (detection.found() ? "" : " (build() needs acceptUnenforcedLimits(true))")
        + "; seccomp default profile; "
        + (overlay == null ? "overlayfs" : "no overlayfs (OCI images will fail): " + overlay)
        + rootOfIsolates());
  }

  /** For a root JVM, whose uid its isolates' root is on the host. */
  private static String rootOfIsolates() {
    if (HelperBinary.currentUid() != 0) {
      return "";
    }
    return HostLayout.REAL.idMappedMounts()
        ? "; isolates' root is host uid " + SandboxPolicy.ID_RANGE_START + " (id-mapped mounts)"
        : "; isolates' root is host root: this kernel (" + SystemProperties.kernelRelease()
            + ") has no id-mapped overlay layers (Linux 5.19)";
  }

  private CgroupHost.Detection cgroups() {
    CgroupHost.Detection d = cgroups;
    if (d == null) {
      d = CgroupHost.detectAndVerify();
      cgroups = d;
    }
    return d;
  }

  /** The run root last prepared (one stat then checks that it is still there). */
  private static volatile Path preparedRunRoot;

  /** The directory of run directories, with the empty file and directory used to mask host paths. */
  static Path runRoot() {
    return runRoot(ContainerSettings.fromSystemProperties());
  }

  /** The directory of run directories {@code settings} name. */
  static Path runRoot(ContainerSettings settings) {
    Path root = settings.runDir()
        .orElse(SystemProperties.tmpdir().resolve("isolate-" + HelperBinary.currentUid()).resolve("run"));
    if (root.equals(preparedRunRoot) && Files.isDirectory(root.resolve(EMPTY_DIR))) {
      return root;
    }
    try {
      Files.createDirectories(root);
      Path file = root.resolve(EMPTY_FILE);
      if (!Files.exists(file)) {
        Files.write(file, new byte[0]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
      }
      Path dir = root.resolve(EMPTY_DIR);
      if (!Files.exists(dir)) {
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
      }
      preparedRunRoot = root;
    } catch (IOException e) {
      // reported when an isolate cannot use the directory
    }
    return root;
  }

  /**
   * The image's environment under the spec's (the spec wins per variable), the image's working directory when the
   * spec kept the default {@code /}, and for {@link Workload#imageCommand} the image's command, as container
   * engines do.
   *
   * @throws StartFailedException when the workload is the image's command and the image names none
   */
  static IsolateSpec withImageDefaults(IsolateSpec spec, ImageStore.PreparedImage image) {
    Isolate.Builder b = spec.toBuilder();
    boolean changed = false;
    if (spec.workload().kind() == Workload.Kind.IMAGE_COMMAND) {
      if (image.commandProblem() != null) {
        throw new StartFailedException("the command of image " + spec.rootfs() + " cannot be used: "
            + image.commandProblem());
      }
      List<String> argv = imageCommand(image, spec.workload().args());
      if (argv.isEmpty()) {
        throw new StartFailedException("the image " + spec.rootfs() + " names no command (no Entrypoint, no Cmd): "
            + "give one with Workload.command, or arguments to Workload.imageCommand");
      }
      if (argv.get(0).isBlank()) {
        throw new StartFailedException("the command of image " + spec.rootfs() + " starts with an empty program "
            + "name: " + argv);
      }
      b.workload(Workload.command(argv.get(0), argv.subList(1, argv.size()).toArray(String[]::new)));
      changed = true;
    }
    for (String entry : image.env()) {
      String name = entry.substring(0, entry.indexOf('='));
      if (!spec.env().containsKey(name) && name.matches("[A-Za-z_][A-Za-z0-9_]*") && entry.indexOf('\0') < 0) {
        b.env(name, entry.substring(name.length() + 1));
        changed = true;
      }
    }
    if (spec.workingDir().equals("/") && image.workingDir() != null && image.workingDir().startsWith("/")) {
      try {
        b.workingDir(image.workingDir().replaceAll("/+$", "").isEmpty() ? "/" : image.workingDir().replaceAll("/+$", ""));
        changed = true;
      } catch (InvalidSpecException ignored) {
        // an odd working directory in the image: keep /
      }
    }
    if (spec.network() == io.isolate.Network.LOOPBACK && spec.publishedPorts().isEmpty()) {
      // the image's ExposedPorts, as a fixture's default published ports: each on a free host port
      for (int port : image.exposedTcpPorts()) {
        b.publishPort(port);
        changed = true;
      }
    }
    if (spec.runAs().isEmpty() && image.user() != null) {
      RunAs user;
      try {
        user = ImageUsers.resolve(image.user(), image.layers());
      } catch (java.io.IOException e) {
        throw new StartFailedException("cannot run image " + spec.rootfs() + " as its User: " + e.getMessage(), e);
      }
      b.user(user.uid(), user.gid());
      changed = true;
    }
    return changed ? b.spec() : spec;
  }

  /** {@code docker run}'s rules: Entrypoint + args, or Entrypoint + Cmd without args. */
  static List<String> imageCommand(ImageStore.PreparedImage image, List<String> args) {
    List<String> argv = new ArrayList<>(image.entrypoint());
    argv.addAll(args.isEmpty() ? image.cmd() : args);
    return argv;
  }

  @Override
  public NetworkBackend createNetwork() {
    return ContainerNetwork.start(HelperBinary.path(), runRoot());
  }

  @Override
  public IsolateBackend create(IsolateSpec spec) {
    SandboxPolicy.validate(spec);
    SeccompProfile profile = SeccompProfile.of(spec.allowedSyscalls(), spec.deniedSyscalls());
    CgroupHost.Detection detection = cgroups();
    CgroupDriver driver = detection.driver();
    if (driver == null && !spec.acceptUnenforcedLimits()) {
      throw new LevelUnavailableException(IsolationLevel.OS, "the memory, cpu and pids limits cannot be enforced: "
          + detection.reason() + "; build with acceptUnenforcedLimits(true) to run without them");
    }
    ContainerSettings settings = ContainerSettings.of(spec); // read once per isolate
    if (spec.sharedNetwork().isPresent()
        && (!(NetworkBackend.of(spec.sharedNetwork().get()) instanceof ContainerNetwork net) || !net.isAlive())) {
      throw new StartFailedException("the isolate's network is not a live network of this JVM's OS level");
    }
    ContainerNetwork.Member member = null;
    try {
      if (spec.sharedNetwork().isPresent()) {
        // its place on the network: a namespace, an address and a hosts file of its own
        member = ((ContainerNetwork) NetworkBackend.of(spec.sharedNetwork().get())).join(spec.networkAliases(),
            spec.hostname());
        Path hosts = member.hosts();
        if (spec.mounts().stream().noneMatch(m -> m.guestPath().equals("/etc/hosts"))) {
          spec = spec.toBuilder().mount(io.isolate.Mount.image(hosts, "/etc/hosts")).spec();
        }
      }
      return create(spec, settings, driver, profile, member);
    } catch (RuntimeException | Error e) {
      if (member != null) {
        member.close();
      }
      throw e;
    }
  }

  private IsolateBackend create(IsolateSpec spec, ContainerSettings settings, CgroupDriver driver,
      SeccompProfile profile, ContainerNetwork.Member member) {
    List<Path> layers = List.of();
    int stopSignal = 0;
    AutoCloseable lease = () -> { };
    if (spec.rootfs().kind() == Rootfs.Kind.OCI_IMAGE) {
      ImageStore store = ImageStore.shared();
      ImageStore.PreparedImage image = null;
      for (int attempt = 0; image == null; attempt++) {
        try {
          image = spec.rootfs().reference().isPresent()
              ? store.prepare(spec.rootfs().reference().get(), settings)
              : store.prepare(spec.rootfs().path().orElseThrow(), spec.rootfs().tag().orElse(null), settings);
        } catch (IOException e) {
          throw new StartFailedException("cannot prepare image " + spec.rootfs() + ": " + e.getMessage(), e);
        }
        try {
          lease = store.lease(image.layers()); // held while the isolate lives: no trim removes its layers
        } catch (IOException trimmed) {
          image = null; // another JVM trimmed a layer between prepare and lease: prepare once more
          if (attempt == 1) {
            throw new StartFailedException("cannot keep the layers of image " + spec.rootfs() + " in the cache: "
                + trimmed.getMessage(), trimmed);
          }
        }
      }
      layers = image.layers();
      stopSignal = image.stopSignal();
      try {
        spec = withImageDefaults(spec, image);
      } catch (RuntimeException e) {
        closeQuietly(lease);
        throw e;
      }
    }
    try {
      AutoCloseable layerLease = lease;
      // the member's address is given back with the layers: once its processes have ended, not while they may run
      AutoCloseable held = member == null ? lease : () -> {
        try {
          member.close();
        } finally {
          layerLease.close();
        }
      };
      return new ContainerIsolate(spec, HelperBinary.path(), driver, new SandboxPolicy(HostLayout.REAL),
          profile.toBpf(), layers, runRoot(settings), held, stopSignal, member == null ? null : member.place());
    } catch (RuntimeException e) {
      closeQuietly(lease);
      throw e;
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // a lease's close releases file locks, which closing always does
    }
  }
}
