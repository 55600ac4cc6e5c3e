/*
 * harness.c - runs guest SDK code as an ordinary host process, for tests. The SDK is compiled with
 * -DISOLATE_HOST_HARNESS, which turns its MMIO accesses and hypercalls into calls of the functions below; they
 * send each access to the Java test over stdout and wait for the answer on stdin. The Java side serves them
 * with the real MmioTransport, devices and HypercallDecoder, reading and writing this process's memory through
 * /proc/PID/mem, so pointers are "guest-physical" addresses as they are in a real guest (identity mapping).
 *
 * Request: 6 little-endian u64 {type, a, b, c, d, e}; reply: one i64.
 *   type 1 MMIO read (a = address)      type 2 MMIO write (a = address, b = value)
 *   type 3 hypercall (a = number, b..e = RDI, RSI, RDX, R10)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define main isolate_guest_main /* the header declares the guest's main, renamed in harness builds */
#include "isolate_guest.h"
#undef main

void __isolate_start(const struct isolate_boot_info *info);

static void io_all(int fd, void *buf, size_t len, int writing) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);
    if (n <= 0) {
      _exit(121); /* the test went away */
    }
    p += n;
    len -= (size_t)n;
  }
}

static int64_t request(uint64_t type, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
  uint64_t msg[6] = {type, a, b, c, d, e};
  int64_t reply;
  io_all(1, msg, sizeof msg, 1);
  io_all(0, &reply, sizeof reply, 0);
  return reply;
}

uint32_t isolate_mmio_read32(uint64_t addr) {
  return (uint32_t)request(1, addr, 0, 0, 0, 0);
}

void isolate_mmio_write32(uint64_t addr, uint32_t value) {
  request(2, addr, value, 0, 0, 0);
}

long isolate_hypercall(long nr, long a0, long a1, long a2, long a3) {
  long r = (long)request(3, (uint64_t)nr, (uint64_t)a0, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3);
  if (nr == ISOLATE_HC_EXIT && r == 0) {
    _exit((int)(a0 & 0xff));
  }
  return r;
}

uint64_t isolate_virt_to_phys(const void *p) {
  return (uint64_t)(uintptr_t)p;
}

int main(int argc, char **argv) {
  static struct isolate_boot_info info;
  size_t heap = 64u << 20;
  void *h = aligned_alloc(4096, heap);
  if (!h) {
    return 120;
  }
  info.magic = ISOLATE_BOOT_MAGIC;
  info.abi_version = ISOLATE_ABI_VERSION;
  info.heap_start = (uint64_t)(uintptr_t)h;
  info.heap_end = info.heap_start + heap;
  info.mmio_base = ISOLATE_MMIO_BASE;
  info.mmio_stride = ISOLATE_MMIO_STRIDE;
  info.device_count = 2;
  info.argc = (uint64_t)argc;
  info.argv = (uint64_t)(uintptr_t)argv;
  __isolate_start(&info);
}
