/*
 * isolate_guest.h - the guest SDK of Isolate: one plugin source for two levels.
 *
 * A plugin registers handlers by name and serves calls; the host calls them with isolate.call(name, bytes) at
 * either level:
 *   PROCESS   the plugin is a WebAssembly module: clang --target=wasm32-wasi -mexec-model=reactor, linked with
 *             libisolate-wasm.a (wasi-libc is there too);
 *   PARAVIRT  the plugin is a freestanding x86-64 program in a micro-VM, linked with libisolate.a and isolate.ld
 *             (no libc; the SDK has the few helpers below).
 * guest-sdk/README.md has the one build command of each.
 *
 *   #include <isolate_guest.h>
 *
 *   static int echo(const void *in, size_t len, isolate_reply *reply) {
 *     reply->data = (void *)in;
 *     reply->len = len;
 *     return 0;
 *   }
 *
 *   int main(void) {
 *     isolate_register_handler("echo", echo);
 *     return isolate_serve();
 *   }
 *
 * Memory: the SDK owns every buffer of a call. The input, and everything isolate_alloc gave out while a handler
 * ran, stay valid until the host has copied the reply, and are freed before the next call begins.
 */
#ifndef ISOLATE_GUEST_H
#define ISOLATE_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __wasm__
#include <string.h> /* wasi-libc: memcpy, strlen and the rest of libc are there */
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* =========================================== both levels =========================================== */

enum isolate_log_level { ISOLATE_DEBUG = 0, ISOLATE_INFO = 1, ISOLATE_WARN = 2, ISOLATE_ERROR = 3 };
#define ISOLATE_LOG_MAX 4096

/* Reply statuses (the same numbers at both levels; must match io.isolate.pv.devices.CallFrame and
 * io.isolate.wasm.PluginAbi). */
#define ISOLATE_STATUS_OK 0
#define ISOLATE_STATUS_NO_SUCH_FUNCTION 1
#define ISOLATE_STATUS_FAILED 2
#define ISOLATE_STATUS_TOO_LARGE 3
#define ISOLATE_STATUS_BAD_REQUEST 4
#define ISOLATE_CALL_MAX_NAME 255

typedef struct isolate_reply {
  void *data; /* must stay valid until the handler's reply is sent (input, static or isolate_alloc memory) */
  size_t len;
} isolate_reply;

/* Handles one call: return 0 with reply set for OK, nonzero for FAILED (reply then carries a message). */
typedef int (*isolate_handler)(const void *input, size_t input_len, isolate_reply *reply);

/* Registers `fn` under `name` (1-255 bytes; up to 32 handlers). Returns 0 or -1. The SDK keeps the pointer: `name`
 * must live as long as the plugin (a string literal does). */
int isolate_register_handler(const char *name, isolate_handler fn);
/* Serves calls from the host: `return isolate_serve();` ends main. At PARAVIRT it loops forever and returns a
 * negative value only if the call port is unusable; at PROCESS the host calls handlers directly, so it returns 0
 * at once and main must return right after it. */
int isolate_serve(void);
/* Calls host function `name`; on success returns ISOLATE_STATUS_OK and sets *out and *out_len (call memory, see
 * above). Returns the reply status otherwise (*out then holds the host's message), or a negative value on
 * transport failure. */
int isolate_host_call(const char *name, const void *in, size_t in_len, void **out, size_t *out_len);
/* The value the application set for `key` with Isolate.Builder.config(key, value), as a NUL-terminated string in
 * call memory; NULL when it set none. */
const char *isolate_config(const char *key);

/* Call memory: 16-byte aligned, NULL when exhausted, freed with the call (see above). */
void *isolate_alloc(size_t size);

/* Sends one line to the host, which writes it to the isolate's stderr as "guest LEVEL: text" (at most
 * ISOLATE_LOG_MAX bytes). */
long isolate_log_raw(int level, const void *msg, size_t len);
/* printf-style log line (at PARAVIRT: %d %i %u %x %X %p %s %c %% with l/ll/z and width/zero/left flags). */
void isolate_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The name of the host function every plugin may call for its configuration; the host reserves "isolate." */
#define ISOLATE_CONFIG_FUNCTION "isolate.config"

#ifdef __wasm__
/* ====================================== PROCESS (wasm32-wasi) ====================================== */

/* The plugin ABI between libisolate-wasm.a and the host (must match io.isolate.wasm.PluginAbi). */
#define ISOLATE_WASM_ABI_VERSION 0x00010000

#else
/* =============================== PARAVIRT (freestanding x86-64) =============================== */

/* ---- hypercall ABI 1.0 (must match io.isolate.pv.hypercall.HypercallAbi) ---- */
#define ISOLATE_HC_PORT 0xEC
#define ISOLATE_HC_EXIT 1
#define ISOLATE_HC_WAIT_FOR_EVENT 2
#define ISOLATE_HC_LOG 3
#define ISOLATE_HC_CLOCK 4
#define ISOLATE_HC_ABI_VERSION 5
#define ISOLATE_ABI_VERSION 0x00010001
#define ISOLATE_WAIT_FOREVER ((uint64_t)-1)
#define ISOLATE_CLOCK_REALTIME 0
#define ISOLATE_CLOCK_MONOTONIC 1

/* ---- call framing on console port "isolate.call" (must match io.isolate.pv.devices.CallFrame) ---- */
#define ISOLATE_CALL_PORT_NAME "isolate.call"
#define ISOLATE_CALL_MAGIC 0x4c4c4143u /* "CALL" in memory */
#define ISOLATE_CALL_HEADER_SIZE 24
#define ISOLATE_FRAME_CALL 1
#define ISOLATE_FRAME_REPLY 2
#define ISOLATE_FRAME_HOST_CALL 3
#define ISOLATE_FRAME_HOST_REPLY 4

/* ---- boot information the VMM passes in RDI at _start (must match ABI.md) ---- */
#define ISOLATE_BOOT_MAGIC 0x424f4f54u /* "TOOB" little-endian, i.e. "BOOT" read as a u32 */
#define ISOLATE_IMAGE_BASE 0x400000
#define ISOLATE_MMIO_BASE 0xd0000000ull
#define ISOLATE_MMIO_STRIDE 0x1000

struct isolate_boot_info {
  uint32_t magic;        /* ISOLATE_BOOT_MAGIC */
  uint32_t abi_version;  /* ISOLATE_ABI_VERSION */
  uint64_t memory_size;  /* bytes of guest RAM, from guest-physical 0 */
  uint64_t heap_start;   /* first free byte after the image */
  uint64_t heap_end;     /* end of the memory the guest may allocate */
  uint64_t mmio_base;    /* guest-physical address of virtio-mmio slot 0 */
  uint32_t mmio_stride;  /* bytes between slots */
  uint32_t device_count; /* number of slots */
  uint64_t argc;         /* arguments of `isolate run ... GUEST_IMAGE ARGS` */
  uint64_t argv;         /* guest address of a NULL-terminated char *[] */
  uint64_t tsc_khz;      /* time-stamp counter frequency in kHz, 0 if unknown (ABI 1.1) */
};

/* The boot information, or NULL when the VMM passed none (then defaults apply). */
const struct isolate_boot_info *isolate_boot_info(void);

/* ---- hypercalls ---- */
/* Ends the guest with `code` (0-255). */
__attribute__((noreturn)) void isolate_exit(int code);
/* Blocks until a device interrupts or `timeout_ns` pass; returns the mask of devices that interrupted (0: timeout). */
long isolate_wait_for_event(uint64_t timeout_ns);
/* Nanoseconds of ISOLATE_CLOCK_REALTIME or ISOLATE_CLOCK_MONOTONIC (negative errno on error). */
int64_t isolate_clock(int clock_id);

/* ---- console port 0: the guest's stdout ---- */
/* Writes all `len` bytes to the console; returns len, or a negative value if the console is unusable. */
long isolate_write(const void *data, size_t len);
int isolate_puts(const char *s);
int isolate_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- entropy ---- */
/* Fills `buf` with `len` bytes from the host's SecureRandom; returns 0, or negative if there is no rng device. */
int isolate_random(void *buf, size_t len);

/* ---- disks (virtio-blk): what the application mounted, by name ---- */
#define ISOLATE_DISK_SECTOR 512
#define ISOLATE_DISK_MAX 16
/* The index of the disk named `name` (its guest path in the application's Mount, e.g. "/data"), or -1. */
int isolate_disk_find(const char *name);
/* The disk's size in bytes (a multiple of ISOLATE_DISK_SECTOR), or a negative value if `disk` is not usable. */
int64_t isolate_disk_size(int disk);
/* 1 if the disk is read-only, 0 if writable, negative if `disk` is not usable. */
int isolate_disk_read_only(int disk);
/* Reads or writes `len` bytes at byte `offset`, both multiples of ISOLATE_DISK_SECTOR, straight between `buf` and
 * the disk. Returns 0, or negative: -1 bad disk or arguments, -2 the host refused (out of range, read-only). */
int isolate_disk_read(int disk, uint64_t offset, void *buf, size_t len);
int isolate_disk_write(int disk, uint64_t offset, const void *buf, size_t len);

/* ---- memory: a bump allocator (isolate_alloc above) ---- */
size_t isolate_heap_free(void);
/* Marks and releases: everything allocated after the mark is freed at once. */
uintptr_t isolate_heap_mark(void);
void isolate_heap_release(uintptr_t mark);

/* ---- freestanding helpers (gcc may also emit calls to the first four) ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int isolate_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int isolate_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The guest program's entry point, called by the SDK's start-up code; its result becomes the exit code. */
int main(void);
#endif

#ifdef __cplusplus
}
#endif
#endif
