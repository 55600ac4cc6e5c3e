/* no_serve.c - a test plugin whose main returns without serving. */
#include <isolate_guest.h>

static int echo(const void *in, size_t len, isolate_reply *reply) {
  reply->data = (void *)in;
  reply->len = len;
  return 0;
}

int main(void) {
  isolate_register_handler("echo", echo);
  return 3;
}
