package io.isolate.vm.vstate;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.isolate.vm.kvm.Kvm;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.kvm.LibC;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A KVM virtual machine: its file descriptor, its guest memory (slot 0, at guest-physical address 0) and its one
 * vCPU. {@link #close()} releases every file descriptor and mapping, in reverse order of creation.
 */
public final class Vm implements AutoCloseable {
  private final KvmDevice kvm;
  private final int fd;
  private final GuestMemory memory;
  private Vcpu vcpu;
  private final Set<List<Long>> coalescedZones = new HashSet<>();
  /** Registered ioeventfds by (address, datamatch). */
  private final Map<List<Long>, Integer> eventfds = new HashMap<>();
  private boolean closed;

  private Vm(KvmDevice kvm, int fd, GuestMemory memory) {
    this.kvm = kvm;
    this.fd = fd;
    this.memory = memory;
  }

  /** Creates a VM with {@code memorySize} bytes of guest-physical memory at address 0. */
  public static Vm create(KvmDevice kvm, long memorySize) {
    int fd;
    try {
      fd = LibC.ioctl(kvm.fd(), Kvm.KVM_CREATE_VM, 0L);
    } catch (LastErrorException e) {
      throw new KvmException("KVM_CREATE_VM", e.getErrorCode());
    }
    GuestMemory memory = null;
    try {
      memory = GuestMemory.allocate(memorySize);
      // struct kvm_userspace_memory_region {u32 slot, flags; u64 guest_phys_addr, memory_size, userspace_addr},
      // written raw: a JNA Structure costs tens of microseconds of reflection per VM
      Memory region = new Memory(32);
      region.setInt(0, 0); // slot
      region.setInt(4, 0); // flags
      region.setLong(8, 0); // guest_phys_addr
      region.setLong(16, memorySize);
      region.setLong(24, memory.hostAddress());
      try {
        LibC.ioctl(fd, Kvm.KVM_SET_USER_MEMORY_REGION, region);
      } catch (LastErrorException e) {
        throw new KvmException("KVM_SET_USER_MEMORY_REGION(slot 0, " + (memorySize >> 20) + " MiB)",
            e.getErrorCode());
      }
      return new Vm(kvm, fd, memory);
    } catch (RuntimeException e) {
      if (memory != null) {
        memory.close();
      }
      LibC.close(fd);
      throw e;
    }
  }

  /** The VM's guest-physical memory. */
  public GuestMemory memory() {
    return memory;
  }

  /** The VM's vCPU, or null before {@link #createVcpu()}. */
  public synchronized Vcpu vcpu() {
    return vcpu;
  }

  /** Creates the VM's vCPU (id 0). */
  public synchronized Vcpu createVcpu() {
    if (vcpu != null) {
      throw new IllegalStateException("this VM has its vCPU already");
    }
    vcpu = Vcpu.create(kvm, fd, 0);
    return vcpu;
  }

  /**
   * Lets the guest's MMIO writes to {@code [address, address + size)} be buffered in the vCPU's
   * {@link Vcpu#coalescedMmio() ring} instead of exiting; reads there still exit. Returns false when the host has no
   * coalesced MMIO (the writes keep exiting, which is correct, only slower).
   */
  public synchronized boolean coalesceMmio(long address, int size) {
    if (kvm.coalescedMmioPage() == 0) {
      return false;
    }
    List<Long> key = List.of(address, (long) size);
    if (coalescedZones.contains(key)) {
      return true; // registered already (by a VM pool, ahead of time)
    }
    Memory zone = new Memory(16); // struct kvm_coalesced_mmio_zone {u64 addr; u32 size; u32 pad}
    zone.setLong(0, address);
    zone.setInt(8, size);
    zone.setInt(12, 0);
    try {
      LibC.ioctl(fd, Kvm.KVM_REGISTER_COALESCED_MMIO, zone);
    } catch (LastErrorException e) {
      throw new KvmException("KVM_REGISTER_COALESCED_MMIO(0x" + Long.toHexString(address) + ", " + size + ")",
          e.getErrorCode());
    }
    coalescedZones.add(key);
    return true;
  }

  /**
   * Returns a new non-blocking eventfd that the kernel signals when the guest writes the 4-byte value
   * {@code datamatch} to guest-physical {@code address} (KVM_IOEVENTFD): the write completes inside the kernel,
   * without an exit to the VMM. The eventfd belongs to this VM and is closed with it; -1 when the host has none.
   * Asking again for the same address and value returns the same eventfd (a VM pool may register it ahead of time).
   */
  public synchronized int mmioEventfd(long address, int datamatch) {
    if (!kvm.hasIoeventfd() || closed) {
      return -1;
    }
    List<Long> key = List.of(address, datamatch & 0xffff_ffffL);
    Integer known = eventfds.get(key);
    if (known != null) {
      return known;
    }
    int efd;
    try {
      efd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
    } catch (LastErrorException e) {
      throw new KvmException("eventfd", e.getErrorCode());
    }
    // struct kvm_ioeventfd {u64 datamatch; u64 addr; u32 len; s32 fd; u32 flags; u8 pad[36]}
    Memory io = new Memory(64);
    io.clear();
    io.setLong(0, datamatch & 0xffff_ffffL);
    io.setLong(8, address);
    io.setInt(16, 4);
    io.setInt(20, efd);
    io.setInt(24, Kvm.KVM_IOEVENTFD_FLAG_DATAMATCH);
    try {
      LibC.ioctl(fd, Kvm.KVM_IOEVENTFD, io);
    } catch (LastErrorException e) {
      LibC.close(efd);
      throw new KvmException("KVM_IOEVENTFD(0x" + Long.toHexString(address) + " = " + datamatch + ")",
          e.getErrorCode());
    }
    eventfds.put(key, efd);
    return efd;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (vcpu != null) {
      vcpu.close();
    }
    for (int efd : eventfds.values()) {
      LibC.close(efd); // the VM's own reference goes with its fd below
    }
    try {
      LibC.close(fd);
    } finally {
      memory.close();
    }
  }
}
