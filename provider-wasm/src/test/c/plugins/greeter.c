/* greeter.c - a test plugin whose typed host function env.greet hands a string back in SDK call memory. */
#include <isolate_guest.h>
#include <stdint.h>

/* Returns (address << 32) | length of the greeting the host allocated in this plugin's call memory. */
__attribute__((import_module("env"), import_name("greet"))) int64_t host_greet(const void *name, uint32_t len);

static int greet(const void *in, size_t len, isolate_reply *reply) {
  int64_t answer = host_greet(in, (uint32_t)len);
  reply->data = (void *)(uintptr_t)(uint32_t)(answer >> 32);
  reply->len = (uint32_t)answer;
  return 0;
}

int main(void) {
  isolate_register_handler("greet", greet);
  return isolate_serve();
}
