/* probe.c - a test plugin (built by PluginTest with the SDK the build made): memory, hostile replies and host
 * calls with addresses outside its memory. */
#include <isolate_guest.h>
#include <stdint.h>

__attribute__((import_module("isolate"), import_name("host_call")))
int64_t raw_host_call(const char *name, uint32_t name_len, const void *in, uint32_t in_len);

static int echo(const void *in, size_t len, isolate_reply *reply) {
  reply->data = (void *)in;
  reply->len = len;
  return 0;
}

/* The input copied into call memory twice over, the second copy replied: call memory must be freed. */
static int copy(const void *in, size_t len, isolate_reply *reply) {
  char *a = isolate_alloc(len);
  char *b = isolate_alloc(len);
  if ((!a || !b) && len > 0) {
    return 1;
  }
  memcpy(a, in, len);
  memcpy(b, a, len);
  reply->data = b;
  reply->len = len;
  return 0;
}

/* The size of the plugin's memory in 64 KiB pages, as 4 little-endian bytes. */
static int pages(const void *in, size_t len, isolate_reply *reply) {
  (void)in;
  (void)len;
  static uint32_t n;
  n = (uint32_t)__builtin_wasm_memory_size(0);
  reply->data = &n;
  reply->len = sizeof n;
  return 0;
}

static int reply_outside_memory(const void *in, size_t len, isolate_reply *reply) {
  (void)in;
  (void)len;
  reply->data = (void *)(uintptr_t)0xfffffff0u;
  reply->len = 100;
  return 0;
}

static int host_call_outside_memory(const void *in, size_t len, isolate_reply *reply) {
  (void)in;
  (void)len;
  (void)reply;
  raw_host_call((const char *)(uintptr_t)0xfffffff0u, 200, 0, 0);
  return 0;
}

static int call_host(const void *in, size_t len, isolate_reply *reply) {
  void *out;
  size_t out_len;
  int status = isolate_host_call("reenter", in, len, &out, &out_len);
  reply->data = out;
  reply->len = out_len;
  return status;
}

int main(void) {
  isolate_register_handler("echo", echo);
  isolate_register_handler("copy", copy);
  isolate_register_handler("pages", pages);
  isolate_register_handler("reply_outside_memory", reply_outside_memory);
  isolate_register_handler("host_call_outside_memory", host_call_outside_memory);
  isolate_register_handler("call_host", call_host);
  return isolate_serve();
}
