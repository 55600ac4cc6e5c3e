/*
 * platform.h - the few machine-level operations of the SDK. In a guest they are single instructions; a host
 * test harness (-DISOLATE_HOST_HARNESS) supplies them as functions so the same drivers run against the Java
 * devices without a VM.
 */
#ifndef ISOLATE_PLATFORM_H
#define ISOLATE_PLATFORM_H

#include <stdint.h>

#define barrier() __asm__ volatile("" ::: "memory")

#ifdef ISOLATE_HOST_HARNESS
uint32_t isolate_mmio_read32(uint64_t addr);
void isolate_mmio_write32(uint64_t addr, uint32_t value);
long isolate_hypercall(long nr, long a0, long a1, long a2, long a3);
uint64_t isolate_virt_to_phys(const void *p);
#else
/* MMIO: one 32-bit mov each, so the VMM (or KVM's instruction emulation) can decode the access. */
static inline uint32_t isolate_mmio_read32(uint64_t addr) {
  uint32_t v = *(volatile uint32_t *)(uintptr_t)addr;
  barrier();
  return v;
}

static inline void isolate_mmio_write32(uint64_t addr, uint32_t value) {
  barrier();
  *(volatile uint32_t *)(uintptr_t)addr = value;
}

/* out %eax, $ISOLATE_HC_PORT with the number in EAX, arguments in RDI, RSI, RDX, R10; result in RAX. */
static inline long isolate_hypercall(long nr, long a0, long a1, long a2, long a3) {
  register long r10 __asm__("r10") = a3;
  long ret = nr;
  __asm__ volatile("outl %%eax, $0xEC"
                   : "+a"(ret)
                   : "D"(a0), "S"(a1), "d"(a2), "r"(r10)
                   : "memory");
  return ret;
}

/* Guest memory is identity-mapped: a pointer is its guest-physical address. */
static inline uint64_t isolate_virt_to_phys(const void *p) {
  return (uint64_t)(uintptr_t)p;
}
#endif

static inline void cpu_relax(void) {
  __asm__ volatile("pause" ::: "memory");
}

/* The time-stamp counter: runs without an exit (CR4.TSD is clear), so the guest can time a spin for free. */
static inline uint64_t read_tsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

#endif
