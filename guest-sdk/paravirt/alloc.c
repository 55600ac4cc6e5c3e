/* alloc.c - a bump allocator over the heap the VMM describes in the boot information. */
#include "internal.h"

static uintptr_t heap_next;
static uintptr_t heap_end;
/* used when the VMM passes no boot information (and by host test builds) */
static unsigned char fallback_heap[1 << 20] __attribute__((aligned(4096)));

void isolate_heap_init(const struct isolate_boot_info *info) {
  if (info && info->heap_end > info->heap_start) {
    heap_next = (uintptr_t)info->heap_start;
    heap_end = (uintptr_t)info->heap_end;
  } else {
    heap_next = (uintptr_t)fallback_heap;
    heap_end = (uintptr_t)fallback_heap + sizeof fallback_heap;
  }
}

void *isolate_alloc(size_t size) {
  uintptr_t at = (heap_next + 15) & ~(uintptr_t)15;
  if (at < heap_next || size > heap_end - at) {
    return NULL;
  }
  heap_next = at + size;
  return (void *)at;
}

size_t isolate_heap_free(void) {
  return heap_end - heap_next;
}

uintptr_t isolate_heap_mark(void) {
  return heap_next;
}

void isolate_heap_release(uintptr_t mark) {
  if (mark <= heap_next) {
    heap_next = mark;
  }
}
