/*
 * plugin.c - the guest SDK at PROCESS: a plugin is a wasm32-wasi reactor module, and the host calls its handlers
 * through the exports below (the contract is io.isolate.wasm.PluginAbi; the numbers must match it).
 *
 *   isolate_sdk_abi() -> i32                  ISOLATE_WASM_ABI_VERSION; its presence marks a plugin
 *   isolate_start() -> i32                    runs main() once, after _initialize; main's result
 *   isolate_call_buffer(size) -> ptr          frees the previous call's memory, then gives `size` bytes for
 *                                             the next call's name followed by its input (0: no room)
 *   isolate_dispatch(name_len, in_len) -> ptr runs the handler; the result record {status, reply ptr, reply len}
 *   isolate_alloc(size) -> ptr                call memory (0: no room), for the host's typed host functions
 *
 * and the plugin imports from the host, module "isolate":
 *
 *   serve(names, len)                         main is serving; the handler names, each followed by NUL
 *   host_call(name, name_len, in, in_len) -> i64   (status << 32) | reply length; the host keeps the reply
 *   host_reply(buf, len) -> i32               copies the kept reply (len must be its length; 0, 0 drops it)
 *   log(level, msg, len)                      one line to the isolate's stderr
 *
 * Call memory is a chain of malloc'd blocks released when the next call begins, so a plugin's memory stays as
 * large as its largest call, however many calls it serves.
 */
#include <stdlib.h>

#include "isolate_guest.h"

#define IMPORT(n) __attribute__((import_module("isolate"), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))

IMPORT("serve") void host_serve(const char *names, uint32_t len);
IMPORT("host_call") int64_t host_call(const char *name, uint32_t name_len, const void *in, uint32_t in_len);
IMPORT("host_reply") int32_t host_reply(void *buf, uint32_t len);
IMPORT("log") void host_log(int32_t level, const void *msg, uint32_t len);

/* ---- call memory ---- */

struct block {
  struct block *next;
  char pad[12]; /* keeps what follows the header 16-byte aligned, as malloc's blocks are */
};

static struct block *call_blocks;

/* Exported too: a typed host function reaches it through HostFunction.Memory.allocate to hand bytes back. */
EXPORT("isolate_alloc") void *isolate_alloc(size_t size) {
  if (size > SIZE_MAX - sizeof(struct block)) {
    return NULL;
  }
  struct block *b = malloc(sizeof(struct block) + size);
  if (!b) {
    return NULL;
  }
  b->next = call_blocks;
  call_blocks = b;
  return b + 1;
}

static void release_call_memory(void) {
  while (call_blocks) {
    struct block *b = call_blocks;
    call_blocks = b->next;
    free(b);
  }
}

/* ---- handlers ---- */

#define MAX_HANDLERS 32
static struct {
  const char *name;
  size_t name_len;
  isolate_handler fn;
} handlers[MAX_HANDLERS];
static int handler_count;

int isolate_register_handler(const char *name, isolate_handler fn) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > ISOLATE_CALL_MAX_NAME || !fn || handler_count == MAX_HANDLERS) {
    return -1;
  }
  handlers[handler_count].name = name;
  handlers[handler_count].name_len = n;
  handlers[handler_count].fn = fn;
  handler_count++;
  return 0;
}

int isolate_serve(void) {
  static char names[MAX_HANDLERS * (ISOLATE_CALL_MAX_NAME + 1)];
  size_t at = 0;
  for (int i = 0; i < handler_count; i++) {
    memcpy(names + at, handlers[i].name, handlers[i].name_len);
    at += handlers[i].name_len;
    names[at++] = '\0';
  }
  host_serve(names, (uint32_t)at);
  return 0;
}

/* ---- the exports the host calls ---- */

int main(void);

struct result {
  uint32_t status;
  uint32_t reply;
  uint32_t reply_len;
};

static struct result result;
static char *call_input;
static uint32_t call_input_size;

EXPORT("isolate_sdk_abi") int32_t isolate_sdk_abi(void) {
  return ISOLATE_WASM_ABI_VERSION;
}

EXPORT("isolate_start") int32_t isolate_start(void) {
  return main();
}

EXPORT("isolate_call_buffer") void *isolate_call_buffer(uint32_t size) {
  release_call_memory();
  call_input = isolate_alloc(size > 0 ? size : 1);
  call_input_size = call_input ? size : 0;
  return call_input;
}

static struct result *reply_text(uint32_t status, const char *text) {
  result.status = status;
  result.reply = (uint32_t)(uintptr_t)text;
  result.reply_len = (uint32_t)strlen(text);
  return &result;
}

EXPORT("isolate_dispatch") struct result *isolate_dispatch(uint32_t name_len, uint32_t input_len) {
  if (!call_input || name_len == 0 || name_len > ISOLATE_CALL_MAX_NAME || name_len > call_input_size ||
      input_len > call_input_size - name_len) {
    return reply_text(ISOLATE_STATUS_BAD_REQUEST, "the call does not fit the buffer isolate_call_buffer gave");
  }
  const char *input = call_input + name_len;
  for (int i = 0; i < handler_count; i++) {
    if (handlers[i].name_len == name_len && memcmp(handlers[i].name, call_input, name_len) == 0) {
      isolate_reply reply = {0, 0};
      int rc = handlers[i].fn(input, input_len, &reply);
      result.status = rc == 0 ? ISOLATE_STATUS_OK : ISOLATE_STATUS_FAILED;
      result.reply = (uint32_t)(uintptr_t)reply.data;
      result.reply_len = reply.data ? (uint32_t)reply.len : 0;
      return &result;
    }
  }
  return reply_text(ISOLATE_STATUS_NO_SUCH_FUNCTION, "no such function");
}

/* ---- calling the host ---- */

int isolate_host_call(const char *name, const void *in, size_t in_len, void **out, size_t *out_len) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > ISOLATE_CALL_MAX_NAME || in_len > UINT32_MAX) {
    return -1;
  }
  int64_t answer = host_call(name, (uint32_t)n, in, (uint32_t)in_len);
  int status = (int)(answer >> 32);
  uint32_t len = (uint32_t)answer;
  void *buf = isolate_alloc(len > 0 ? len : 1);
  if (!buf) {
    host_reply(NULL, 0);
    return ISOLATE_STATUS_TOO_LARGE;
  }
  host_reply(buf, len);
  *out = buf;
  *out_len = len;
  return status;
}

/* ---- logging ---- */

long isolate_log_raw(int level, const void *msg, size_t len) {
  host_log(level, msg, (uint32_t)(len > ISOLATE_LOG_MAX ? ISOLATE_LOG_MAX : len));
  return 0;
}
