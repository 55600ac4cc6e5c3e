package io.isolate.vm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.isolate.vm.testing.Fixtures;
import io.isolate.vm.vstate.CoalescedMmioRing;
import io.isolate.vm.testing.Prerequisites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JNA structures, kvm_run offsets and ioctl numbers match the C header of this host. */
class KvmStructSizeTest {
  static final Map<String, Long> C = new HashMap<>();

  @BeforeAll
  static void compileProbe() throws Exception {
    Prerequisites.requireTool("gcc");
    Path dir = Files.createDirectories(Path.of("target/fixtures"));
    Path exe = dir.resolve("kvm-sizes");
    Fixtures.run(List.of("gcc", "-o", exe.toString(), "src/test/c/kvm_sizes.c"));
    for (String line : new String(Fixtures.run(List.of(exe.toString())), StandardCharsets.UTF_8).split("\n")) {
      String[] kv = line.split(" ");
      C.put(kv[0], Long.decode(kv[1]));
    }
  }

  @Test
  void structureSizesMatchC() {
    assertEquals(C.get("kvm_regs"), (long) new Kvm.KvmRegs().size());
    assertEquals(C.get("kvm_sregs"), (long) new Kvm.KvmSregs().size());
    assertEquals(C.get("kvm_segment"), (long) new Kvm.KvmSegment().size());
    assertEquals(C.get("kvm_dtable"), (long) new Kvm.KvmDtable().size());
    assertEquals(C.get("kvm_userspace_memory_region"), (long) new Kvm.KvmUserspaceMemoryRegion().size());
    assertEquals(C.get("kvm_cpuid2"), (long) new Kvm.KvmCpuid2().size());
    assertEquals(C.get("kvm_cpuid_entry2"), (long) new Kvm.KvmCpuidEntry2().size());
    assertEquals(C.get("kvm_msrs"), (long) new Kvm.KvmMsrs().size());
    assertEquals(C.get("kvm_msr_entry"), (long) new Kvm.KvmMsrEntry().size());
    assertEquals(C.get("sigaction"), (long) LibC.SIZEOF_SIGACTION);
    assertEquals(C.get("sigaction.sa_flags"), (long) LibC.SIGACTION_FLAGS_OFFSET);
  }

  @Test
  void kvmRunOffsetsMatchC() {
    assertEquals(C.get("kvm_run"), (long) Kvm.Run.SIZE);
    assertEquals(C.get("kvm_run.immediate_exit"), (long) Kvm.Run.IMMEDIATE_EXIT);
    assertEquals(C.get("kvm_run.exit_reason"), (long) Kvm.Run.EXIT_REASON);
    assertEquals(C.get("kvm_run.io.port"), (long) Kvm.Run.IO_PORT);
    assertEquals(C.get("kvm_run.io.data_offset"), (long) Kvm.Run.IO_DATA_OFFSET);
    assertEquals(C.get("kvm_run.mmio.phys_addr"), (long) Kvm.Run.MMIO_PHYS_ADDR);
    assertEquals(C.get("kvm_run.kvm_valid_regs"), (long) Kvm.Run.KVM_VALID_REGS);
    assertEquals(C.get("kvm_run.kvm_dirty_regs"), (long) Kvm.Run.KVM_DIRTY_REGS);
    assertEquals(C.get("kvm_run.s.regs.regs"), (long) Kvm.Run.SYNC_REGS);
    assertEquals(C.get("kvm_run.s.regs.sregs"), (long) Kvm.Run.SYNC_SREGS);
  }

  @Test
  void ioctlNumbersMatchC() {
    assertEquals(C.get("KVM_GET_API_VERSION"), Kvm.KVM_GET_API_VERSION);
    assertEquals(C.get("KVM_CREATE_VM"), Kvm.KVM_CREATE_VM);
    assertEquals(C.get("KVM_CHECK_EXTENSION"), Kvm.KVM_CHECK_EXTENSION);
    assertEquals(C.get("KVM_GET_VCPU_MMAP_SIZE"), Kvm.KVM_GET_VCPU_MMAP_SIZE);
    assertEquals(C.get("KVM_GET_SUPPORTED_CPUID"), Kvm.KVM_GET_SUPPORTED_CPUID);
    assertEquals(C.get("KVM_CREATE_VCPU"), Kvm.KVM_CREATE_VCPU);
    assertEquals(C.get("KVM_SET_USER_MEMORY_REGION"), Kvm.KVM_SET_USER_MEMORY_REGION);
    assertEquals(C.get("KVM_RUN"), Kvm.KVM_RUN);
    assertEquals(C.get("KVM_GET_REGS"), Kvm.KVM_GET_REGS);
    assertEquals(C.get("KVM_SET_REGS"), Kvm.KVM_SET_REGS);
    assertEquals(C.get("KVM_GET_SREGS"), Kvm.KVM_GET_SREGS);
    assertEquals(C.get("KVM_SET_SREGS"), Kvm.KVM_SET_SREGS);
    assertEquals(C.get("KVM_SET_MSRS"), Kvm.KVM_SET_MSRS);
    assertEquals(C.get("KVM_SET_CPUID2"), Kvm.KVM_SET_CPUID2);
    assertEquals(C.get("KVM_CAP_SYNC_REGS"), (long) Kvm.KVM_CAP_SYNC_REGS);
    assertEquals(C.get("KVM_CAP_IMMEDIATE_EXIT"), (long) Kvm.KVM_CAP_IMMEDIATE_EXIT);
    assertEquals(C.get("KVM_GET_FPU"), Kvm.KVM_GET_FPU);
    assertEquals(C.get("KVM_SET_FPU"), Kvm.KVM_SET_FPU);
    assertEquals(416L, C.get("kvm_fpu"));
    assertEquals(C.get("KVM_REGISTER_COALESCED_MMIO"), Kvm.KVM_REGISTER_COALESCED_MMIO);
    assertEquals(C.get("KVM_IOEVENTFD"), Kvm.KVM_IOEVENTFD);
    assertEquals(C.get("KVM_GET_TSC_KHZ"), Kvm.KVM_GET_TSC_KHZ);
    assertEquals(C.get("KVM_CAP_COALESCED_MMIO"), (long) Kvm.KVM_CAP_COALESCED_MMIO);
    assertEquals(C.get("KVM_CAP_IOEVENTFD"), (long) Kvm.KVM_CAP_IOEVENTFD);
    assertEquals(C.get("KVM_IOEVENTFD_FLAG_DATAMATCH"), (long) Kvm.KVM_IOEVENTFD_FLAG_DATAMATCH);
    assertEquals(C.get("KVM_IOEVENTFD_FLAG_DEASSIGN"), (long) Kvm.KVM_IOEVENTFD_FLAG_DEASSIGN);
    assertEquals(16L, C.get("kvm_coalesced_mmio_zone"));
    assertEquals((long) CoalescedMmioRing.ENTRY_SIZE, C.get("kvm_coalesced_mmio"));
    assertEquals((long) CoalescedMmioRing.HEADER_SIZE, C.get("kvm_coalesced_mmio_ring"));
    assertEquals(64L, C.get("kvm_ioeventfd"));
  }
}
