// A library module (no _start, no libc, no WASI): exports for Isolate.call and imports from the host.
// Built with -nostdlib -Wl,--no-entry.
#define EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("env"), import_name("host_add"))) int host_add(int a, int b);
__attribute__((import_module("env"), import_name("log"))) void host_log(const char *message, int length);

EXPORT("add") int add(int a, int b) { return a + b; }

EXPORT("fib") long long fib(int n) {
  long long a = 0, b = 1;
  for (int i = 0; i < n; i++) {
    long long t = a + b;
    a = b;
    b = t;
  }
  return a;
}

// Calls the host's env.host_add twice: (a + b) + b.
EXPORT("add_via_host") int add_via_host(int a, int b) { return host_add(host_add(a, b), b); }

static const char GREETING[] = "hello host";

// Logs a greeting through the host and returns its length.
EXPORT("greet") int greet(void) {
  host_log(GREETING, sizeof GREETING - 1);
  return sizeof GREETING - 1;
}

// Asks the host to log a string at a bad address: the host's bounds check must trap the guest.
EXPORT("greet_out_of_bounds") void greet_out_of_bounds(void) { host_log((const char *) 0x7ffffff0, 1000); }

static unsigned counter;

// Returns how many times it was called: proves the instance lives across calls.
EXPORT("count") unsigned count(void) { return ++counter; }

EXPORT("spin") void spin(void) {
  volatile int forever = 1;
  while (forever) {
  }
}

EXPORT("boom") int boom(int x) {
  if (x >= 0) __builtin_trap();
  return x;
}

// Recurses n levels deep without touching linear memory: a large n exhausts the host's stack, not the guest's.
__attribute__((noinline)) EXPORT("deep") int deep(int n) {
  if (n <= 0) return 0;
  return deep(n - 1) * 3 + 1;
}

// Bytes calls (Isolate.call(name, byte[])): the host asks isolate_alloc for room for the input, writes it there
// and calls name(ptr, len); the reply is returned packed as (ptr << 32) | len. A bump allocator over a static
// arena is enough for a test: it starts over when the arena is full.
static unsigned char arena[64 * 1024];
static unsigned arena_used;

EXPORT("isolate_alloc") void *isolate_alloc(unsigned size) {
  if (size > sizeof arena) return 0;
  if (arena_used + size > sizeof arena) arena_used = 0;
  void *p = arena + arena_used;
  arena_used += (size + 7) & ~7u;
  return p;
}

static unsigned long long pack(const void *p, unsigned len) {
  return ((unsigned long long) (unsigned long) p << 32) | len;
}

// Replies with the input in upper case.
EXPORT("upper") unsigned long long upper(const unsigned char *in, unsigned len) {
  unsigned char *out = isolate_alloc(len);
  for (unsigned i = 0; i < len; i++) {
    unsigned char c = in[i];
    out[i] = c >= 'a' && c <= 'z' ? c - 32 : c;
  }
  return pack(out, len);
}

// Replies with a length that runs past the end of memory.
EXPORT("bad_reply") unsigned long long bad_reply(const unsigned char *in, unsigned len) {
  (void) in;
  (void) len;
  return pack(arena, 0x7fffffff);
}
