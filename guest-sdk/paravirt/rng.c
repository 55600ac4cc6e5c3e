/* rng.c - driver for virtio-rng: one request queue of device-writable buffers. */
#include "internal.h"

static struct vq rq;
static uint64_t rng_mmio;
static int rng_state; /* 0 not started, 1 ready, -1 failed */

void isolate_rng_found(uint64_t mmio) {
  rng_mmio = mmio;
}

static int rng_start(void) {
  uint64_t features;
  if (!rng_mmio || vdev_begin(rng_mmio, 0, &features) != 0 || vq_setup(&rq, rng_mmio, 0) != 0) {
    isolate_log(ISOLATE_WARN, "virtio-rng: %s", rng_mmio ? "device setup failed" : "the host offers no rng");
    return -1;
  }
  if (vdev_driver_ok(rng_mmio) != 0) {
    isolate_log(ISOLATE_WARN, "virtio-rng: the device refused its set-up");
    return -1;
  }
  return 1;
}

int isolate_random(void *buf, size_t len) {
  if (rng_state == 0) {
    rng_state = rng_start();
  }
  if (rng_state < 0) {
    return -1;
  }
  unsigned char *p = buf;
  while (len > 0) {
    struct vbuf b = {p, (uint32_t)(len > 65536 ? 65536 : len), 1};
    if (vq_add(&rq, &b, 1) < 0) {
      return -2;
    }
    vq_kick(&rq);
    vq_wait(&rq);
    uint16_t head;
    uint32_t got;
    if (!vq_take_used(&rq, &head, &got) || got == 0 || got > b.len) {
      return -3;
    }
    p += got;
    len -= got;
  }
  return 0;
}
