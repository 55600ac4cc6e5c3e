package io.isolate.vm;

import io.isolate.Availability;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.isolate.spi.IsolateBackend;
import io.isolate.spi.IsolationProvider;
import io.isolate.spi.SystemProperties;
import io.isolate.vm.kvm.Errno;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.vstate.Vm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The HARDWARE level: each run is an unmodified static x86-64 Linux executable in its own KVM virtual machine,
 * in guest user mode, with a Linux system-call personality written in Java (see {@link io.isolate.vm}).
 *
 * <pre>{@code
 * try (Isolate isolate = Isolate.builder()
 *         .level(IsolationLevel.HARDWARE)
 *         .workload(Workload.elf(Path.of("hello-static")))
 *         .build()) {
 *   System.out.print(isolate.run().stdoutText());
 * }
 * }</pre>
 */
public final class KvmIsolationProvider implements IsolationProvider {
  /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
  public KvmIsolationProvider() {}

  @Override
  public IsolationLevel level() {
    return IsolationLevel.HARDWARE;
  }

  @Override
  public String name() {
    return "kvm";
  }

  @Override
  public Set<Workload.Kind> workloadKinds() {
    return Set.of(Workload.Kind.STATIC_ELF);
  }

  /** Opens {@code /dev/kvm}, creates and destroys a VM with a vCPU, and says what kind of host this is. */
  @Override
  public Availability probe() {
    return probeHost();
  }

  /**
   * Probes this host for KVM guests by doing the real thing: opens {@code /dev/kvm}, creates and destroys a VM
   * with a vCPU. Shared with the PARAVIRT level, which runs on the same VMM.
   */
  public static Availability probeHost() {
    if (!SystemProperties.isLinuxX86_64()) {
      return Availability.unavailable("KVM guests here are x86-64 Linux programs: this JVM runs on "
          + SystemProperties.platform());
    }
    Path dev = Path.of("/dev/kvm");
    if (!Files.exists(dev)) {
      return Availability.unavailable("/dev/kvm does not exist: the kvm module is not loaded, or this machine "
          + "offers no virtualization (enable VT-x/AMD-V, nested virtualization, or PVM)");
    }
    try {
      KvmDevice kvm = KvmDevice.get();
      try (Vm vm = Vm.create(kvm, 2 << 20)) {
        vm.createVcpu();
      }
      String kind = KvmDevice.hostKind();
      String how = switch (kind) {
        case "PVM" -> "PVM (software virtualization: guest user mode runs natively, supervisor mode is emulated)";
        case "VT-x", "AMD-V" -> "hardware virtualization (" + kind + ")";
        default -> "virtualization of unknown kind";
      };
      return Availability.available("/dev/kvm: KVM API 12 on " + how
          + (kvm.hasSyncRegs() ? ", KVM_CAP_SYNC_REGS" : "") + (kvm.hasImmediateExit() ? ", immediate_exit" : ""));
    } catch (KvmException e) {
      if (e.errno() == Errno.EACCES || e.errno() == Errno.EPERM) {
        return Availability.unavailable("/dev/kvm: permission denied (add the user to the group owning /dev/kvm, "
            + "usually 'kvm'): " + e.getMessage());
      }
      return Availability.unavailable("/dev/kvm is present but unusable: " + e.getMessage());
    } catch (RuntimeException | LinkageError e) {
      return Availability.unavailable("cannot use /dev/kvm through JNA: " + e);
    }
  }

  @Override
  public Class<VmSettings> settingsType() {
    return VmSettings.class;
  }

  /** The settings when this provider was first asked: the VMM reads its own once, when it opens the device. */
  @Override
  public VmSettings jvmSettings() {
    return JVM_SETTINGS;
  }

  private static final VmSettings JVM_SETTINGS = VmSettings.fromSystemProperties();

  @Override
  public IsolateBackend create(IsolateSpec spec) {
    return new VmBackend(spec);
  }
}
