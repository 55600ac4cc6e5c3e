package io.isolate.vm.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.isolate.vm.VmSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The open {@code /dev/kvm} system file descriptor: API version, capabilities, the vCPU mapping size and the
 * CPUID the host supports. One per JVM ({@link #get()}); it stays open, as VM file descriptors are created from it.
 */
public final class KvmDevice {
  private static volatile KvmDevice instance;

  private final int fd;
  private final int vcpuMmapSize;
  private final boolean syncRegs;
  private final boolean immediateExit;
  private final int coalescedMmioPage;
  private final boolean ioeventfd;
  private final Kvm.KvmCpuidEntry2[] supportedCpuid;

  private KvmDevice(String path) {
    int f;
    try {
      f = LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new KvmException("open(" + path + ")", e.getErrorCode());
    }
    try {
      int version = ioctl(f, Kvm.KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
      if (version != Kvm.KVM_API_VERSION) {
        throw new KvmException("KVM_GET_API_VERSION returned " + version + ", expected " + Kvm.KVM_API_VERSION);
      }
      if (ioctl(f, Kvm.KVM_CHECK_EXTENSION, Kvm.KVM_CAP_USER_MEMORY, "KVM_CHECK_EXTENSION(KVM_CAP_USER_MEMORY)")
          <= 0) {
        throw new KvmException("KVM lacks KVM_CAP_USER_MEMORY");
      }
      this.immediateExit =
          ioctl(f, Kvm.KVM_CHECK_EXTENSION, Kvm.KVM_CAP_IMMEDIATE_EXIT, "KVM_CHECK_EXTENSION(IMMEDIATE_EXIT)") > 0;
      int sync = ioctl(f, Kvm.KVM_CHECK_EXTENSION, Kvm.KVM_CAP_SYNC_REGS, "KVM_CHECK_EXTENSION(SYNC_REGS)");
      VmSettings settings = VmSettings.fromSystemProperties();
      this.syncRegs = (sync & Kvm.KVM_SYNC_X86_REGS) != 0 && !settings.noSyncRegs();
      this.vcpuMmapSize = ioctl(f, Kvm.KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
      int page = settings.noCoalescedMmio() ? 0
          : ioctl(f, Kvm.KVM_CHECK_EXTENSION, Kvm.KVM_CAP_COALESCED_MMIO, "KVM_CHECK_EXTENSION(COALESCED_MMIO)");
      this.coalescedMmioPage = page > 0 && (page + 1L) * 4096 <= vcpuMmapSize ? page : 0;
      this.ioeventfd = !settings.noIoeventfd()
          && ioctl(f, Kvm.KVM_CHECK_EXTENSION, Kvm.KVM_CAP_IOEVENTFD, "KVM_CHECK_EXTENSION(IOEVENTFD)") > 0;
      this.supportedCpuid = readSupportedCpuid(f);
      System.getLogger("io.isolate.kvm").log(System.Logger.Level.DEBUG, "KVM opened: sync regs " + syncRegs
          + ", coalesced MMIO page " + coalescedMmioPage + ", ioeventfd " + ioeventfd + ", vCPU mmap "
          + vcpuMmapSize + " bytes");
      this.fd = f;
    } catch (RuntimeException e) {
      LibC.close(f);
      throw e;
    }
  }

  /** The JVM-wide device, opened on first use. */
  public static KvmDevice get() {
    KvmDevice d = instance;
    if (d == null) {
      synchronized (KvmDevice.class) {
        d = instance;
        if (d == null) {
          d = new KvmDevice("/dev/kvm");
          instance = d;
        }
      }
    }
    return d;
  }

  private static int ioctl(int fd, long request, long arg, String call) {
    try {
      return LibC.ioctl(fd, request, arg);
    } catch (LastErrorException e) {
      throw new KvmException(call, e.getErrorCode());
    }
  }

  private static Kvm.KvmCpuidEntry2[] readSupportedCpuid(int fd) {
    int entrySize = new Kvm.KvmCpuidEntry2().size();
    for (int nent = 64; nent <= 4096; nent *= 2) {
      Memory buf = new Memory(8 + (long) nent * entrySize);
      buf.clear();
      buf.setInt(0, nent);
      try {
        LibC.ioctl(fd, Kvm.KVM_GET_SUPPORTED_CPUID, buf);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == Errno.E2BIG) {
          continue;
        }
        throw new KvmException("KVM_GET_SUPPORTED_CPUID(" + nent + " entries)", e.getErrorCode());
      }
      int n = buf.getInt(0);
      Kvm.KvmCpuidEntry2[] entries = new Kvm.KvmCpuidEntry2[n];
      for (int i = 0; i < n; i++) {
        Kvm.KvmCpuidEntry2 entry = new Kvm.KvmCpuidEntry2();
        entry.getPointer().write(0, buf.getByteArray(8 + (long) i * entrySize, entrySize), 0, entrySize);
        entry.read();
        entries[i] = entry;
      }
      return entries;
    }
    throw new KvmException("KVM_GET_SUPPORTED_CPUID needs more than 4096 entries");
  }

  /** The file descriptor of {@code /dev/kvm}. */
  public int fd() {
    return fd;
  }

  /** The size of a vCPU's {@code kvm_run} mapping (KVM_GET_VCPU_MMAP_SIZE). */
  public int vcpuMmapSize() {
    return vcpuMmapSize;
  }

  /** Whether the host keeps registers in {@code kvm_run} (KVM_CAP_SYNC_REGS), saving an ioctl per exit. */
  public boolean hasSyncRegs() {
    return syncRegs;
  }

  /** Whether the host has KVM_CAP_IMMEDIATE_EXIT, which the preemption of spinning guests relies on. */
  public boolean hasImmediateExit() {
    return immediateExit;
  }

  /**
   * The page of the vCPU mapping that holds the coalesced-MMIO ring (KVM_CAP_COALESCED_MMIO), or 0 when the host
   * has none (or {@code -Disolate.vm.noCoalescedMmio=true}): MMIO writes then exit one by one.
   */
  public int coalescedMmioPage() {
    return coalescedMmioPage;
  }

  /**
   * Whether guest writes can signal an eventfd inside the kernel (KVM_CAP_IOEVENTFD); false as well with
   * {@code -Disolate.vm.noIoeventfd=true}, to measure without.
   */
  public boolean hasIoeventfd() {
    return ioeventfd;
  }

  /** A copy of the CPUID entries the host supports for guests. */
  public Kvm.KvmCpuidEntry2[] supportedCpuid() {
    Kvm.KvmCpuidEntry2[] copy = new Kvm.KvmCpuidEntry2[supportedCpuid.length];
    for (int i = 0; i < copy.length; i++) {
      Kvm.KvmCpuidEntry2 e = new Kvm.KvmCpuidEntry2();
      Kvm.KvmCpuidEntry2 s = supportedCpuid[i];
      e.function = s.function;
      e.index = s.index;
      e.flags = s.flags;
      e.eax = s.eax;
      e.ebx = s.ebx;
      e.ecx = s.ecx;
      e.edx = s.edx;
      copy[i] = e;
    }
    return copy;
  }

  /**
   * What kind of virtualization backs {@code /dev/kvm}: "PVM" (software, via the kvm_pvm module), "VT-x",
   * "AMD-V", or "unknown".
   */
  public static String hostKind() {
    if (Files.isDirectory(Path.of("/sys/module/kvm_pvm"))) {
      return "PVM";
    }
    try {
      String cpuinfo = Files.readString(Path.of("/proc/cpuinfo")).toLowerCase(Locale.ROOT);
      if (cpuinfo.matches("(?s).*\\bflags\\s*:[^\\n]*\\bvmx\\b.*")) {
        return "VT-x";
      }
      if (cpuinfo.matches("(?s).*\\bflags\\s*:[^\\n]*\\bsvm\\b.*")) {
        return "AMD-V";
      }
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
    return "unknown";
  }
}
