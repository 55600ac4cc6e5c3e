/* services.c - a test guest exercising the SDK: host calls, entropy, failures, console output and logging. */
#include <isolate_guest.h>

/* Calls the host function "upper" with the input and replies with its result. */
static int via_host(const void *in, size_t len, isolate_reply *reply) {
  void *out;
  size_t out_len;
  int status = isolate_host_call("upper", in, len, &out, &out_len);
  if (status != ISOLATE_STATUS_OK) {
    static char msg[64];
    int n = isolate_snprintf(msg, sizeof msg, "host call failed with status %d", status);
    reply->data = msg;
    reply->len = (size_t)n;
    return 1;
  }
  reply->data = out;
  reply->len = out_len;
  return 0;
}

/* Replies with as many random bytes as the input's first byte says (times 1024). */
static int random_bytes(const void *in, size_t len, isolate_reply *reply) {
  size_t n = len > 0 ? (size_t)((const unsigned char *)in)[0] * 1024 : 32;
  void *buf = isolate_alloc(n);
  if (!buf || isolate_random(buf, n) != 0) {
    return 1;
  }
  reply->data = buf;
  reply->len = n;
  return 0;
}

static int fail(const void *in, size_t len, isolate_reply *reply) {
  (void)in;
  (void)len;
  static char msg[] = "this handler always fails";
  reply->data = msg;
  reply->len = sizeof msg - 1;
  return 7;
}

/* Allocates the input's size many times over, to show that call memory is released after each call. */
static int churn(const void *in, size_t len, isolate_reply *reply) {
  void *p = isolate_alloc(len * 4 + 1);
  if (!p) {
    return 1;
  }
  memcpy(p, in, len);
  reply->data = p;
  reply->len = len;
  return 0;
}

int main(void) {
  isolate_printf("services guest: abi 0x%x, %d handlers\n", ISOLATE_ABI_VERSION, 4);
  isolate_log(ISOLATE_INFO, "clock %s", isolate_clock(ISOLATE_CLOCK_MONOTONIC) > 0 ? "ok" : "broken");
  isolate_register_handler("via_host", via_host);
  isolate_register_handler("random", random_bytes);
  isolate_register_handler("fail", fail);
  isolate_register_handler("churn", churn);
  return isolate_serve() < 0 ? 3 : 0;
}
