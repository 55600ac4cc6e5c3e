/*
 * misbehave.c - a test guest that misbehaves on request: argv[1] = "spin" spins in main, "crash" writes to
 * address 0, "syscall" makes a Linux system call, "hostile" drives the console device by hand with descriptors
 * outside memory, a loop and an impossible available index, then writes garbage to every register of both devices
 * and exits 0; "reserved" followed by attack names points device buffers and a LOG hypercall into the pages the
 * VMM keeps below 0xf000 (ABI.md, section 1), prints what each returned, checks that the boot page it can read did
 * not change, and then faults on purpose at address 8: a fault reported as #PF shows that the GDT, IDT, TSS and page
 * tables it cannot read still work; "logflood" sends 4 KiB LOG lines forever; otherwise it serves "hang" (never
 * replies), "crash" (faults inside a handler) and "echo".
 */
#include <isolate_guest.h>

static int hang(const void *in, size_t len, isolate_reply *reply) {
  (void)in;
  (void)len;
  (void)reply;
  for (;;) {
    __asm__ volatile("" ::: "memory");
  }
}

static int crash(const void *in, size_t len, isolate_reply *reply) {
  (void)in;
  (void)len;
  (void)reply;
  *(volatile int *)8 = 1;
  return 0;
}

static int echo(const void *in, size_t len, isolate_reply *reply) {
  reply->data = (void *)in;
  reply->len = len;
  return 0;
}

static volatile uint32_t *reg(uint64_t base, uint32_t offset) {
  return (volatile uint32_t *)(uintptr_t)(base + offset);
}

struct raw_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static struct raw_desc desc[8] __attribute__((aligned(16)));
static volatile uint16_t avail[3 + 8] __attribute__((aligned(2)));
static volatile uint32_t used[2 + 16] __attribute__((aligned(4)));

/* Notifications of transmit queues reach the device through an eventfd, after the guest has moved on: wait for the
 * device to return `n` chains, as a driver would, before breaking the queue in the next way (at most a second). */
static void wait_used(uint16_t n) {
  int64_t start = isolate_clock(ISOLATE_CLOCK_MONOTONIC);
  while (((volatile uint16_t *)used)[1] != n && isolate_clock(ISOLATE_CLOCK_MONOTONIC) - start < 1000000000ll) {
  }
}

static int hostile(const struct isolate_boot_info *boot) {
  uint64_t con = boot->mmio_base;
  *reg(con, 0x070) = 0;
  *reg(con, 0x070) = 1;
  *reg(con, 0x070) = 3;
  *reg(con, 0x024) = 1;
  *reg(con, 0x020) = 1; /* VERSION_1 only: no multiport */
  *reg(con, 0x070) = 0xb;
  *reg(con, 0x030) = 1; /* port 0 transmit queue */
  *reg(con, 0x038) = 8;
  *reg(con, 0x080) = (uint32_t)(uintptr_t)desc;
  *reg(con, 0x090) = (uint32_t)(uintptr_t)avail;
  *reg(con, 0x0a0) = (uint32_t)(uintptr_t)used;
  *reg(con, 0x044) = 1;
  *reg(con, 0x030) = 0;
  *reg(con, 0x038) = 8;
  *reg(con, 0x080) = (uint32_t)(uintptr_t)desc;
  *reg(con, 0x090) = (uint32_t)(uintptr_t)avail;
  *reg(con, 0x0a0) = (uint32_t)(uintptr_t)used;
  *reg(con, 0x044) = 1;
  *reg(con, 0x070) = 0xf;
  /* a buffer far outside guest memory */
  desc[0].addr = 0xffffffff00000000ull;
  desc[0].len = 100;
  desc[0].flags = 0;
  avail[2] = 0;
  avail[1] = 1;
  *reg(con, 0x050) = 1;
  wait_used(1);
  /* a loop: 1 -> 2 -> 1 */
  desc[1] = (struct raw_desc){(uint64_t)(uintptr_t)desc, 8, 1, 2};
  desc[2] = (struct raw_desc){(uint64_t)(uintptr_t)desc, 8, 1, 1};
  avail[3] = 1;
  avail[1] = 2;
  *reg(con, 0x050) = 1;
  wait_used(2);
  /* an available index that runs 1000 entries ahead of an 8-entry queue */
  avail[1] = 1002;
  *reg(con, 0x050) = 1;
  int64_t start = isolate_clock(ISOLATE_CLOCK_MONOTONIC);
  while (!(*reg(con, 0x070) & 0x40) && isolate_clock(ISOLATE_CLOCK_MONOTONIC) - start < 1000000000ll) {
  }
  if (*reg(con, 0x070) & 0x40) {
    isolate_log(ISOLATE_INFO, "needs reset seen");
  }
  /* garbage everywhere, in every width */
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 3000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t slot = boot->mmio_base + (x % 2) * boot->mmio_stride;
    uint32_t offset = (uint32_t)((x >> 8) % 0x140);
    switch ((x >> 20) % 4) {
      case 0: *(volatile uint8_t *)(uintptr_t)(slot + offset) = (uint8_t)(x >> 32); break;
      case 1: *(volatile uint16_t *)(uintptr_t)(slot + (offset & ~1u)) = (uint16_t)(x >> 32); break;
      case 2: *reg(slot, offset & ~3u) = (uint32_t)(x >> 32); break;
      default: (void)*reg(slot, offset & ~3u); break;
    }
  }
  isolate_log(ISOLATE_INFO, "garbage written");
  return 0;
}

/* The first guest-usable address (ABI.md, section 1): below it lie the VMM's pages. */
#define USABLE_START 0xf000u
#define BOOT_PAGE 0xe000u

/* Runs the attack `name` (a device request on `disk` or the rng, or a LOG) and returns what the SDK call returned. */
static long attack(const char *name, int disk) {
  if (strcmp(name, "disk-boot") == 0) { /* the read-only boot information page */
    return isolate_disk_read(disk, 0, (void *)(uintptr_t)BOOT_PAGE, 512);
  }
  if (strcmp(name, "disk-gdt") == 0) { /* GDT at 0x1000, IDT at 0x2000 */
    return isolate_disk_read(disk, 0, (void *)(uintptr_t)0x1000, 8192);
  }
  if (strcmp(name, "disk-straddle") == 0) { /* one sector below the usable start, one above */
    return isolate_disk_read(disk, 0, (void *)(uintptr_t)(USABLE_START - 512), 1024);
  }
  if (strcmp(name, "disk-above") == 0) { /* the first usable page: allowed */
    long r = isolate_disk_read(disk, 0, (void *)(uintptr_t)USABLE_START, 512);
    const unsigned char *p = (const unsigned char *)(uintptr_t)USABLE_START;
    for (int i = 0; i < 512 && r == 0; i++) {
      if (p[i] != (unsigned char)(i * 7 + 3)) {
        r = 100; /* the request succeeded but the bytes are not the disk's */
      }
    }
    return r;
  }
  if (strcmp(name, "rng-pagetables") == 0) { /* the PML4 at 0x8000 */
    return isolate_random((void *)(uintptr_t)0x8000, 4096);
  }
  if (strcmp(name, "rng-straddle") == 0) {
    return isolate_random((void *)(uintptr_t)(USABLE_START - 8), 16);
  }
  if (strcmp(name, "rng-above") == 0) {
    return isolate_random((void *)(uintptr_t)(USABLE_START + 0x800), 64);
  }
  if (strcmp(name, "log-boot") == 0) { /* the host must not read reserved pages on the guest's behalf either */
    return isolate_log_raw(ISOLATE_INFO, (const void *)(uintptr_t)BOOT_PAGE, 16);
  }
  return -1000;
}

static int reserved(const struct isolate_boot_info *boot) {
  static unsigned char before[4096];
  memcpy(before, (const void *)(uintptr_t)BOOT_PAGE, sizeof before);
  const char *const *argv = (const char *const *)(uintptr_t)boot->argv;
  int disk = isolate_disk_find("/pattern");
  for (uint64_t a = 2; a < boot->argc; a++) {
    isolate_printf("%s: %ld\n", argv[a], attack(argv[a], disk));
  }
  isolate_printf("boot page intact: %d\n", memcmp(before, (const void *)(uintptr_t)BOOT_PAGE, sizeof before) == 0);
  /* delivering this fault uses the IDT, the GDT, the TSS's stack and the page tables */
  *(volatile int *)8 = 1;
  return 0;
}

int main(void) {
  const struct isolate_boot_info *boot = isolate_boot_info();
  const char *mode = boot && boot->argc > 1 ? ((const char *const *)(uintptr_t)boot->argv)[1] : "";
  if (strcmp(mode, "spin") == 0) {
    for (;;) {
      __asm__ volatile("" ::: "memory");
    }
  }
  if (strcmp(mode, "crash") == 0) {
    *(volatile int *)8 = 1;
  }
  if (strcmp(mode, "hostile") == 0) {
    return hostile(boot);
  }
  if (strcmp(mode, "reserved") == 0) {
    return reserved(boot);
  }
  if (strcmp(mode, "logflood") == 0) {
    static char line[ISOLATE_LOG_MAX];
    memset(line, 'x', sizeof line);
    for (;;) {
      isolate_log_raw(ISOLATE_INFO, line, sizeof line);
    }
  }
  if (strcmp(mode, "syscall") == 0) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");
    return (int)r;
  }
  isolate_register_handler("hang", hang);
  isolate_register_handler("crash", crash);
  isolate_register_handler("echo", echo);
  return isolate_serve() < 0 ? 3 : 0;
}
