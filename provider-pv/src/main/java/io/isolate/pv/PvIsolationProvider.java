package io.isolate.pv;

import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.isolate.spi.Availability;
import io.isolate.spi.IsolateBackend;
import io.isolate.spi.IsolationProvider;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.vstate.Vm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The PARAVIRT level: a guest image built with the guest SDK (see {@code provider-pv/README.md}) runs in its own
 * KVM micro-VM and cooperates with the host through hypercalls and virtio devices (a multiport console carrying
 * stdout and calls, an entropy source).
 *
 * <pre>{@code
 * try (Isolate isolate = Isolate.builder()
 *         .level(IsolationLevel.PARAVIRT)
 *         .workload(Workload.guestImage(Path.of("echo.elf")))
 *         .build()) {
 *   byte[] reply = isolate.call("echo", "hello".getBytes());
 * }
 * }</pre>
 */
public final class PvIsolationProvider implements IsolationProvider {
  /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
  public PvIsolationProvider() {}

  @Override
  public IsolationLevel level() {
    return IsolationLevel.PARAVIRT;
  }

  @Override
  public String name() {
    return "kvm-pv";
  }

  @Override
  public Set<Workload.Kind> workloadKinds() {
    return Set.of(Workload.Kind.GUEST_IMAGE);
  }

  /** Opens {@code /dev/kvm} and creates and destroys a VM with a vCPU. */
  @Override
  public Availability probe() {
    String arch = System.getProperty("os.arch", "");
    if (!System.getProperty("os.name", "").equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return Availability.unavailable("PARAVIRT guests are x86-64 KVM guests: this JVM runs on "
          + System.getProperty("os.name") + "/" + arch);
    }
    if (!Files.exists(Path.of("/dev/kvm"))) {
      return Availability.unavailable("/dev/kvm does not exist: the kvm module is not loaded, or this machine "
          + "offers no virtualization (enable VT-x/AMD-V, nested virtualization, or PVM)");
    }
    try {
      KvmDevice kvm = KvmDevice.get();
      try (Vm vm = Vm.create(kvm, 2 << 20)) {
        vm.createVcpu();
      }
      return Availability.available("/dev/kvm on " + KvmDevice.hostKind() + "; virtio-mmio console (multiport) "
          + "and rng, hypercall ABI 1.0");
    } catch (KvmException e) {
      return Availability.unavailable("/dev/kvm is present but unusable: " + e.getMessage());
    } catch (RuntimeException | LinkageError e) {
      return Availability.unavailable("cannot use /dev/kvm through JNA: " + e);
    }
  }

  @Override
  public IsolateBackend create(IsolateSpec spec) {
    return new PvBackend(spec);
  }
}
