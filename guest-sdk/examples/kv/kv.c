/* kv.c - an example plugin that calls back into the host: it looks keys up with the host function "kv.get" and
 * prefixes the answers with its configuration value "prefix". The same source builds for PROCESS and PARAVIRT. */
#include <isolate_guest.h>

static const char *prefix = "";

/* The input is a key; the reply is the prefix followed by the host's value for it. */
static int lookup(const void *key, size_t len, isolate_reply *reply) {
  void *value;
  size_t value_len;
  int status = isolate_host_call("kv.get", key, len, &value, &value_len);
  if (status != ISOLATE_STATUS_OK) {
    reply->data = value_len > 0 && status > 0 ? value : (void *)"the host did not answer";
    reply->len = value_len > 0 && status > 0 ? value_len : strlen("the host did not answer");
    return 1;
  }
  size_t p = strlen(prefix);
  char *out = isolate_alloc(p + value_len);
  if (!out) {
    return 1;
  }
  memcpy(out, prefix, p);
  memcpy(out + p, value, value_len);
  reply->data = out;
  reply->len = p + value_len;
  return 0;
}

/* The configuration value of the key given, or a failure when the application set none. */
static int config(const void *key, size_t len, isolate_reply *reply) {
  char name[256];
  if (len == 0 || len >= sizeof name) {
    return 1;
  }
  memcpy(name, key, len);
  name[len] = '\0';
  const char *value = isolate_config(name);
  if (!value) {
    reply->data = (void *)"not set";
    reply->len = 7;
    return 1;
  }
  reply->data = (void *)value;
  reply->len = strlen(value);
  return 0;
}

int main(void) {
  const char *configured = isolate_config("prefix");
  if (configured) {
    /* config memory is freed with the first call: keep a copy that lives as long as the plugin */
    static char kept[256];
    size_t n = strlen(configured);
    n = n < sizeof kept - 1 ? n : sizeof kept - 1;
    memcpy(kept, configured, n);
    kept[n] = '\0';
    prefix = kept;
  }
  isolate_register_handler("lookup", lookup);
  isolate_register_handler("config", config);
  return isolate_serve() < 0 ? 1 : 0;
}
