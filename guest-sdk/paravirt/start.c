/* start.c - C start-up: validate the boot information, set up the heap, call main, exit with its result. */
#include "internal.h"

static const struct isolate_boot_info *boot;

const struct isolate_boot_info *isolate_boot_info(void) {
  return boot;
}

void __isolate_start(const struct isolate_boot_info *info) {
  if (info && info->magic == ISOLATE_BOOT_MAGIC && (info->abi_version >> 16) == (ISOLATE_ABI_VERSION >> 16)) {
    boot = info;
  }
  isolate_heap_init(boot);
  isolate_devices_init(boot);
  isolate_exit(main());
}
