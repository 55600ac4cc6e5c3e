package io.isolate.vm.vstate;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.isolate.vm.kvm.Kvm;
import io.isolate.vm.kvm.KvmDevice;
import io.isolate.vm.kvm.KvmException;
import io.isolate.vm.kvm.LibC;

/**
 * A KVM virtual machine: its file descriptor, its guest memory (slot 0, at guest-physical address 0) and its one
 * vCPU. {@link #close()} releases every file descriptor and mapping, in reverse order of creation.
 */
public final class Vm implements AutoCloseable {
  private final KvmDevice kvm;
  private final int fd;
  private final GuestMemory memory;
  private Vcpu vcpu;
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

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (vcpu != null) {
      vcpu.close();
    }
    try {
      LibC.close(fd);
    } finally {
      memory.close();
    }
  }
}
