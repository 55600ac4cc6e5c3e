package io.isolate.container;

import io.isolate.Execution;
import io.isolate.ExitResult;
import io.isolate.IsolateSpec;
import io.isolate.Mount;
import io.isolate.StartFailedException;
import io.isolate.container.cgroup.Cgroup;
import io.isolate.container.cgroup.CgroupDriver;
import io.isolate.container.cgroup.CgroupLimits;
import io.isolate.container.helper.HelperBinary;
import io.isolate.container.helper.HelperCommand;
import io.isolate.container.helper.HelperLauncher;
import io.isolate.spi.IsolateBackend;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One OS-level isolate: a private run directory when it has in-memory files to stage (else its status files go to
 * this JVM's shared run directory), and for each {@link #start()} a fresh cgroup and a helper process.
 * {@link #close()} kills what runs and removes the cgroup and the private run directory.
 */
final class ContainerIsolate implements IsolateBackend {
  private static final System.Logger LOG = System.getLogger("io.isolate.os");

  private final IsolateSpec spec;
  private final Path helper;
  private final CgroupDriver cgroups;
  private final SandboxPolicy policy;
  private final byte[] seccomp;
  private final List<Path> imageLayers;
  /** Keeps the image's layers in the cache, and its place on its network of isolates, while this isolate lives. */
  private final AutoCloseable layerLease;
  private final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  private final Path runRoot;
  private final boolean ownsRunDir;
  private Path runDir;
  private final List<Path> stagedFiles = new ArrayList<>();
  private java.nio.channels.FileChannel lock;
  private int runs;
  /** The image's StopSignal, what a graceful stop sends the workload (0: SIGTERM). */
  private final int stopSignal;
  private final java.util.concurrent.atomic.AtomicInteger execs = new java.util.concurrent.atomic.AtomicInteger();
  private volatile Execution current;
  private volatile ContainerExecution currentRun;
  /** The isolate's place on its network of isolates, or null. */
  private final SandboxPolicy.NetworkMember network;

  ContainerIsolate(IsolateSpec spec, Path helper, CgroupDriver cgroups, SandboxPolicy policy, byte[] seccomp,
      List<Path> imageLayers, Path runRoot, AutoCloseable layerLease, int stopSignal,
      SandboxPolicy.NetworkMember network) {
    this.network = network;
    this.stopSignal = stopSignal;
    this.layerLease = layerLease;
    this.spec = spec;
    this.helper = helper;
    this.cgroups = cgroups;
    this.policy = policy;
    this.seccomp = seccomp;
    this.imageLayers = imageLayers;
    this.runRoot = runRoot;
    this.ownsRunDir = spec.mounts().stream().anyMatch(m -> m.kind() == Mount.Kind.FILE);
    if (!ownsRunDir) {
      // nothing to stage: a private directory would cost a mkdir, a lock and a removal per isolate
      this.runDir = sharedRunDir(runRoot);
      return;
    }
    this.runDir = runRoot.resolve("iso-" + id);
    try {
      Files.createDirectories(runRoot);
      Files.createDirectory(runDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      // held while this isolate lives; a run directory whose lock is free belongs to a JVM that died (see sweep)
      this.lock = java.nio.channels.FileChannel.open(runDir.resolve(LOCK), java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.WRITE);
      this.lock.lock();
      int i = 0;
      for (Mount m : spec.mounts()) {
        if (m.kind() == Mount.Kind.FILE) {
          Path staged = runDir.resolve("file-" + i++);
          Files.write(staged, m.content());
          stagedFiles.add(staged);
        }
      }
    } catch (IOException e) {
      deleteRunDir();
      throw new StartFailedException("cannot prepare the run directory under " + runRoot + ": " + e.getMessage(), e);
    }
  }

  static final String LOCK = "lock";

  /** A shared run directory and its lock, held until the JVM ends (a collected channel would free the lock). */
  private record SharedRunDir(Path dir, java.nio.channels.FileChannel lock) {}

  private static final java.util.Map<Path, SharedRunDir> SHARED = new java.util.HashMap<>();

  /**
   * This JVM's run directory under {@code runRoot} for isolates without files to stage ("iso-jvm-..."): made and
   * locked once, swept like any run directory once this JVM is gone; made anew if something removed it.
   */
  static synchronized Path sharedRunDir(Path runRoot) {
    SharedRunDir held = SHARED.get(runRoot);
    if (held != null && Files.isDirectory(held.dir())) {
      return held.dir();
    }
    if (held != null) {
      SHARED.remove(runRoot);
      try {
        held.lock().close();
      } catch (IOException ignored) {
        // gone with its directory
      }
    }
    Path dir = runRoot.resolve("iso-jvm-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16));
    try {
      Files.createDirectories(runRoot);
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      java.nio.channels.FileChannel lock = java.nio.channels.FileChannel.open(dir.resolve(LOCK),
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
      try {
        lock.lock();
      } catch (IOException | RuntimeException e) {
        lock.close();
        throw e;
      }
      SHARED.put(runRoot, new SharedRunDir(dir, lock));
      return dir;
    } catch (IOException e) {
      deleteTree(dir);
      throw new StartFailedException("cannot prepare the run directory under " + runRoot + ": " + e.getMessage(), e);
    }
  }

  private static synchronized boolean isSharedRunDir(Path dir) {
    return SHARED.values().stream().anyMatch(shared -> shared.dir().equals(dir));
  }

  /** Removes run directories of isolates and networks left by JVMs that died: their lock is free. */
  static void sweepStaleRunDirectories(Path runRoot) {
    try (Stream<Path> dirs = Files.list(runRoot)) {
      for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith("iso-")
          || d.getFileName().toString().startsWith("net-")).toList()) {
        if (isSharedRunDir(dir) || ContainerNetwork.isLive(dir)) {
          // ours: not even opened, since closing any channel on a locked file can release this JVM's lock on it
          continue;
        }
        Path lockFile = dir.resolve(LOCK);
        boolean stale;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(lockFile,
            java.nio.file.StandardOpenOption.WRITE)) {
          java.nio.channels.FileLock l = ch.tryLock();
          stale = l != null;
          if (l != null) {
            l.release();
          }
        } catch (java.nio.channels.OverlappingFileLockException ours) {
          stale = false; // an isolate of this JVM
        } catch (IOException e) {
          // no lock file: being created right now, or left by a version without locks
          stale = isOlderThanAMinute(dir);
        }
        if (stale) {
          deleteTree(dir);
        }
      }
    } catch (IOException | RuntimeException e) {
      // nothing to sweep
    }
  }

  @Override
  public Execution start() {
    return launch(false).execution();
  }

  /** Runs on the calling thread: it waits for the helper itself, sparing hand-offs between threads. */
  @Override
  public ExitResult run() {
    return launch(true).awaitOnCaller();
  }

  private synchronized ContainerExecution launch(boolean callerAwaits) {
    Execution previous = current;
    if (previous != null && previous.isAlive()) {
      throw new IllegalStateException("the previous run of this isolate is still going; await it or kill it first");
    }
    int run = runs++;
    if (!ownsRunDir) {
      runDir = sharedRunDir(runRoot);
    }
    Path status = runDir.resolve("status-" + id + "-" + run);
    Cgroup cgroup = null;
    try {
      if (cgroups != null) {
        // the isolate's init is one more task in the cgroup; the limit counts the workload's own processes
        cgroup = cgroups.create("isolate-" + id + "-" + run, new CgroupLimits(spec.limits().memoryBytes(),
            spec.limits().cpus(), spec.limits().pids() + 1));
      }
      // v1: init moves itself through the tasks files (no RCU grace period); v2: the helper, through cgroup.procs
      List<Path> tasks = cgroup == null ? List.of() : cgroup.selfJoinFiles();
      List<Path> procs = cgroup == null || !tasks.isEmpty() ? List.of() : cgroup.procsFiles();
      HelperCommand command = policy.command(spec, new SandboxPolicy.Inputs(helper, status, Path.of("/tmp"),
          HelperBinary.currentUid(), HelperBinary.currentGid(), procs, tasks, imageLayers, stagedFiles, seccomp,
          runRoot.resolve(ContainerProvider.EMPTY_FILE), runRoot.resolve(ContainerProvider.EMPTY_DIR),
          spec.publishedPorts(), network)).withStopSignal(stopSignal);
      ProcessBuilder pb = new ProcessBuilder(command.argv());
      pb.environment().clear();
      pb.environment().putAll(spec.env());
      if (spec.stdin().kind() == io.isolate.Input.Kind.NONE) {
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      }
      long startNanos = System.nanoTime();
      Process process = callerAwaits ? HelperLauncher.startFromBlockedCaller(pb) : HelperLauncher.start(pb);
      ContainerExecution execution;
      try {
        execution = new ContainerExecution(spec, process, cgroup, status, startNanos, callerAwaits);
      } catch (RuntimeException | Error e) {
        process.destroyForcibly();
        throw e;
      }
      current = execution.execution();
      currentRun = execution;
      return execution;
    } catch (IOException | RuntimeException e) {
      if (cgroup != null) {
        cgroup.close();
      }
      throw new StartFailedException("cannot start the isolate: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code argv} inside the running workload's isolate (see {@link SandboxPolicy#joinCommand}) and waits for
   * it, within the spec's wall time; its output is captured in the result.
   */
  @Override
  public ExitResult exec(List<String> argv) {
    IsolateSpec execSpec = spec.toBuilder()
        .workload(io.isolate.Workload.command(argv.get(0), argv.subList(1, argv.size()).toArray(String[]::new)))
        .stdin(io.isolate.Input.none()).stdout(io.isolate.Output.capture()).stderr(io.isolate.Output.capture())
        .spec();
    return joined(execSpec, "exec", (status, init, procs, tasks) -> policy.joinCommand(execSpec, helper, status,
        HelperBinary.currentUid(), init, procs, tasks, seccomp, argv, network), null, null);
  }

  @Override
  public void copyIn(Path hostFile, String guestPath) throws IOException {
    if (!Files.isRegularFile(hostFile)) {
      throw new IOException(hostFile + " is not a regular file");
    }
    ExitResult r = joined(spec, "copy", (status, init, procs, tasks) -> policy.copyCommand(spec, helper, status,
        HelperBinary.currentUid(), init, procs, tasks, seccomp, true, guestPath, network), hostFile, null);
    if (!r.isSuccess()) {
      throw new IOException("cannot copy " + hostFile + " to " + guestPath + " in the isolate: " + r.detail());
    }
  }

  @Override
  public void copyOut(String guestPath, Path hostFile) throws IOException {
    Path absolute = hostFile.toAbsolutePath();
    Path tmp = absolute.resolveSibling("." + absolute.getFileName() + ".isolate-copy-" + UUID.randomUUID());
    try {
      ExitResult r = joined(spec, "copy", (status, init, procs, tasks) -> policy.copyCommand(spec, helper, status,
          HelperBinary.currentUid(), init, procs, tasks, seccomp, false, guestPath, network), null, tmp);
      if (!r.isSuccess()) {
        throw new IOException("cannot copy " + guestPath + " out of the isolate: " + r.detail());
      }
      // the application's file is replaced whole, or left as it was
      Files.move(tmp, absolute, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Makes the helper command of something joined into the running isolate. */
  private interface JoinCommand {
    HelperCommand make(Path status, long[] initAndHelper, List<Path> cgroupProcs, List<Path> cgroupTasks);
  }

  /** Runs a joined helper to its end: its stdin from {@code input}, its stdout to {@code output} (or captured). */
  private ExitResult joined(IsolateSpec runSpec, String what, JoinCommand make, Path input, Path output) {
    ContainerExecution run = currentRun;
    if (run == null || !run.execution().isAlive()) {
      throw new IllegalStateException(what + " works inside the running workload's isolate: start the workload "
          + "first" + (run == null ? "" : " (it has ended)"));
    }
    long[] init = {run.initPid(), run.helperPid()};
    Cgroup cgroup = run.cgroup();
    List<Path> tasks = cgroup == null ? List.of() : cgroup.selfJoinFiles();
    List<Path> procs = cgroup == null || !tasks.isEmpty() ? List.of() : cgroup.procsFiles();
    Path status = runDir.resolve(what + "-" + id + "-" + execs.incrementAndGet());
    ProcessBuilder pb = new ProcessBuilder(make.make(status, init, procs, tasks).argv());
    pb.environment().clear();
    pb.environment().putAll(runSpec.env());
    pb.redirectInput(input != null ? ProcessBuilder.Redirect.from(input.toFile())
        : ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (output != null) {
      pb.redirectOutput(output.toFile());
    }
    long startNanos = System.nanoTime();
    try {
      Process process = HelperLauncher.startFromBlockedCaller(pb);
      return new ContainerExecution(runSpec, process, null, status, startNanos, true).awaitOnCaller();
    } catch (IOException e) {
      throw new StartFailedException("cannot " + what + " in the isolate: " + e.getMessage(), e);
    }
  }

  @Override
  public List<io.isolate.PublishedPort> publishedPorts() {
    return spec.publishedPorts(); // with the image's defaults (see ContainerProvider)
  }

  @Override
  public int mappedPort(int guestPort) {
    ContainerExecution run = currentRun;
    if (run == null) {
      throw new IllegalStateException("guest port " + guestPort + " gets a free host port when the workload starts; "
          + "start it first");
    }
    return run.mappedPort(guestPort);
  }

  @Override
  public void close() {
    Execution running = current;
    if (running != null) {
      running.kill();
      try {
        running.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // the execution's own clean-up keeps going; the run directory goes anyway
        LOG.log(System.Logger.Level.WARNING, "a killed workload had not ended 10 s later; closing its isolate "
            + "anyway", e);
      }
    }
    deleteRunDir();
    if (running != null && !running.onExit().isDone()) {
      // its overlay may still be mounted: the layers stay in the cache until it has really ended
      running.onExit().whenComplete((r, e) -> releaseLayers());
    } else {
      releaseLayers();
    }
  }

  private void releaseLayers() {
    try {
      layerLease.close();
    } catch (Exception ignored) {
      // releasing file locks cannot fail in a way that matters here
    }
  }

  private static boolean isOlderThanAMinute(Path dir) {
    try {
      return Files.getLastModifiedTime(dir).toMillis() < System.currentTimeMillis() - 60_000;
    } catch (IOException e) {
      return false;
    }
  }

  private void deleteRunDir() {
    if (!ownsRunDir) {
      return; // the shared directory stays; this isolate's status files were removed after each run
    }
    if (lock != null) {
      try {
        lock.close();
      } catch (IOException ignored) {
        // closing releases the lock either way
      }
    }
    deleteTree(runDir);
  }

  private static void deleteTree(Path runDir) {
    if (!Files.exists(runDir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(runDir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort: a stale run directory holds no process and no mount
    }
  }
}
