package io.isolate.pv;

import io.isolate.Availability;
import io.isolate.IsolateSpec;
import io.isolate.IsolationLevel;
import io.isolate.Workload;
import io.isolate.spi.IsolateBackend;
import io.isolate.spi.IsolationProvider;
import io.isolate.vm.KvmIsolationProvider;
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

  /** The HARDWARE level's probe of {@code /dev/kvm} (the same VMM), plus what PARAVIRT adds on top. */
  @Override
  public Availability probe() {
    Availability host = KvmIsolationProvider.probeHost();
    return host.isAvailable()
        ? Availability.available(host.explanation()
            + "; virtio-mmio console (multiport), rng and block, hypercall ABI 1.1")
        : host;
  }

  @Override
  public Class<PvSettings> settingsType() {
    return PvSettings.class;
  }

  @Override
  public IsolateBackend create(IsolateSpec spec) {
    return new PvBackend(spec);
  }
}
