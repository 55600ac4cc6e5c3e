/* devices.c - finds the virtio-mmio devices the VMM placed in its slots and starts their drivers. */
#include "internal.h"

static uint64_t mmio_base = ISOLATE_MMIO_BASE;
static uint32_t mmio_stride = ISOLATE_MMIO_STRIDE;

uint64_t isolate_mmio_slot(int slot) {
  return mmio_base + (uint64_t)slot * mmio_stride;
}

void isolate_devices_init(const struct isolate_boot_info *info) {
  uint32_t count = 2;
  if (info) {
    mmio_base = info->mmio_base;
    mmio_stride = info->mmio_stride;
    count = info->device_count;
  }
  for (uint32_t slot = 0; slot < count; slot++) {
    uint64_t mmio = isolate_mmio_slot((int)slot);
    if (isolate_mmio_read32(mmio + VIRTIO_MMIO_MAGIC) != 0x74726976u) {
      continue;
    }
    switch (isolate_mmio_read32(mmio + VIRTIO_MMIO_DEVICE_ID)) {
      case VIRTIO_ID_CONSOLE:
        isolate_console_init(mmio);
        break;
      case VIRTIO_ID_RNG:
        isolate_rng_found(mmio);
        break;
      case VIRTIO_ID_BLOCK:
        isolate_disk_found(mmio);
        break;
      default:
        break;
    }
  }
}
