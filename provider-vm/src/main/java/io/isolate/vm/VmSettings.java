package io.isolate.vm;

import io.isolate.ProviderSettings;
import io.isolate.spi.SystemProperties;

/**
 * Every setting of the HARDWARE level (and of the VMM that PARAVIRT shares), read from system properties here and
 * nowhere else. The KVM switches and the pool size are read once, when the VMM first opens {@code /dev/kvm}; the
 * trace and debug switches when the first process is made. The documentation site lists them on its settings page.
 *
 * @param pool {@value #POOL}: how many fresh VMs are kept ready ahead of time (default 2; 0 turns the pool off)
 * @param noSyncRegs {@value #NO_SYNC_REGS}: do not use KVM's shared register page (diagnostics)
 * @param noCoalescedMmio {@value #NO_COALESCED_MMIO}: do not batch MMIO writes in KVM's ring (diagnostics)
 * @param noIoeventfd {@value #NO_IOEVENTFD}: do not let KVM signal queue notifications by eventfd (diagnostics)
 * @param trace {@value #TRACE}: print every system call of HARDWARE guests to stderr, like strace
 * @param debug {@value #DEBUG}: add the exception frame to the detail of a guest fault
 */
public record VmSettings(int pool, boolean noSyncRegs, boolean noCoalescedMmio, boolean noIoeventfd, boolean trace,
    boolean debug) implements ProviderSettings {
  public static final String POOL = "isolate.vm.pool";
  public static final String NO_SYNC_REGS = "isolate.vm.noSyncRegs";
  public static final String NO_COALESCED_MMIO = "isolate.vm.noCoalescedMmio";
  public static final String NO_IOEVENTFD = "isolate.vm.noIoeventfd";
  public static final String TRACE = "isolate.vm.trace";
  public static final String DEBUG = "isolate.vm.debug";

  /** Every setting of this level belongs to the JVM (the VMM is opened once): any difference is one. */
  @Override
  public String firstJvmWideDifference(ProviderSettings jvm) {
    VmSettings j = (VmSettings) jvm;
    return pool != j.pool ? "pool" : noSyncRegs != j.noSyncRegs ? "noSyncRegs"
        : noCoalescedMmio != j.noCoalescedMmio ? "noCoalescedMmio" : noIoeventfd != j.noIoeventfd ? "noIoeventfd"
        : trace != j.trace ? "trace" : debug != j.debug ? "debug" : null;
  }

  /**
   * The settings as the system properties say now.
   *
   * @return the settings
   * @throws IllegalStateException naming a property whose value does not parse
   */
  public static VmSettings fromSystemProperties() {
    return new VmSettings((int) SystemProperties.number(POOL, 2, 0, 64), SystemProperties.flag(NO_SYNC_REGS),
        SystemProperties.flag(NO_COALESCED_MMIO), SystemProperties.flag(NO_IOEVENTFD), SystemProperties.flag(TRACE),
        SystemProperties.flag(DEBUG));
  }
}
