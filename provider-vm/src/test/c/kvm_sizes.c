/* Prints sizeof, offsetof and ioctl numbers of linux/kvm.h for KvmStructSizeTest: "name value" lines. */
#include <linux/kvm.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#define SIZE(t) printf("%s %zu\n", #t, sizeof(struct t))
#define OFF(t, f) printf("%s.%s %zu\n", #t, #f, offsetof(struct t, f))
#define NUM(n) printf("%s 0x%lx\n", #n, (unsigned long)(n))

int main(void) {
  SIZE(kvm_regs); SIZE(kvm_sregs); SIZE(kvm_segment); SIZE(kvm_dtable); SIZE(kvm_userspace_memory_region);
  SIZE(kvm_cpuid2); SIZE(kvm_cpuid_entry2); SIZE(kvm_msrs); SIZE(kvm_msr_entry); SIZE(kvm_run); SIZE(sigaction);
  OFF(sigaction, sa_flags);
  OFF(kvm_run, immediate_exit); OFF(kvm_run, exit_reason); OFF(kvm_run, io.port); OFF(kvm_run, io.data_offset);
  OFF(kvm_run, mmio.phys_addr); OFF(kvm_run, kvm_valid_regs); OFF(kvm_run, kvm_dirty_regs);
  OFF(kvm_run, s.regs.regs); OFF(kvm_run, s.regs.sregs);
  NUM(KVM_GET_API_VERSION); NUM(KVM_CREATE_VM); NUM(KVM_CHECK_EXTENSION); NUM(KVM_GET_VCPU_MMAP_SIZE);
  NUM(KVM_GET_SUPPORTED_CPUID); NUM(KVM_CREATE_VCPU); NUM(KVM_SET_USER_MEMORY_REGION); NUM(KVM_RUN);
  NUM(KVM_GET_REGS); NUM(KVM_SET_REGS); NUM(KVM_GET_SREGS); NUM(KVM_SET_SREGS); NUM(KVM_SET_MSRS);
  NUM(KVM_SET_CPUID2); NUM(KVM_CAP_SYNC_REGS); NUM(KVM_CAP_IMMEDIATE_EXIT); NUM(KVM_GET_FPU); NUM(KVM_SET_FPU);
  SIZE(kvm_fpu);
  NUM(KVM_REGISTER_COALESCED_MMIO); NUM(KVM_IOEVENTFD); NUM(KVM_GET_TSC_KHZ); NUM(KVM_CAP_COALESCED_MMIO); NUM(KVM_CAP_IOEVENTFD);
  NUM(KVM_IOEVENTFD_FLAG_DATAMATCH); NUM(KVM_IOEVENTFD_FLAG_DEASSIGN);
  SIZE(kvm_coalesced_mmio_zone); SIZE(kvm_coalesced_mmio); SIZE(kvm_coalesced_mmio_ring); SIZE(kvm_ioeventfd);
  return 0;
}
