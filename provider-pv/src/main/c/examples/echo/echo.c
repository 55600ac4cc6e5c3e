/* echo.c - replies to every "echo" call with its input, unchanged and without a copy. */
#include <isolate_guest.h>

static int echo(const void *input, size_t len, isolate_reply *reply) {
  reply->data = (void *)input;
  reply->len = len;
  return 0;
}

int main(void) {
  isolate_register_handler("echo", echo);
  isolate_log(ISOLATE_INFO, "echo guest ready");
  return isolate_serve() < 0 ? 1 : 0;
}
