/*
 * VmExitBenchmark: bare exits taken from guest *user* mode, where every real guest runs. A PARAVIRT guest (built
 * with the SDK's documented gcc command) serving two calls whose input is a little-endian u32 count n:
 *   "mmio"      - n 4-byte reads of virtio-mmio slot 0's MagicValue register (no RAM behind it: an MMIO exit each,
 *                 served by the transport in Java);
 *   "hypercall" - n ABI_VERSION hypercalls (out %eax, $0xEC; on PVM a #GP through the exception stub first).
 * Each replies with 4 bytes: the number of reads that did not return the virtio magic "virt" (0 expected).
 */
#include <isolate_guest.h>

static uint32_t result;

static uint32_t count(const void *input, size_t len) {
  const uint8_t *p = input;
  return len < 4 ? 0 : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int mmio(const void *input, size_t len, isolate_reply *reply) {
  const struct isolate_boot_info *boot = isolate_boot_info();
  volatile uint32_t *magic = (volatile uint32_t *)(uintptr_t)(boot ? boot->mmio_base : ISOLATE_MMIO_BASE);
  result = 0;
  for (uint32_t i = count(input, len); i > 0; i--) {
    if (*magic != 0x74726976u) {
      result++;
    }
  }
  reply->data = &result;
  reply->len = sizeof result;
  return 0;
}

static int hypercall(const void *input, size_t len, isolate_reply *reply) {
  result = 0;
  for (uint32_t i = count(input, len); i > 0; i--) {
    long r;
    __asm__ volatile("out %%eax, $0xEC" : "=a"(r) : "a"(5) : "memory");
    if ((r >> 16) != 1) {
      result++;
    }
  }
  reply->data = &result;
  reply->len = sizeof result;
  return 0;
}

int main(void) {
  isolate_register_handler("mmio", mmio);
  isolate_register_handler("hypercall", hypercall);
  return isolate_serve() < 0 ? 1 : 0;
}
