/* rng.c - driver for virtio-rng: one request queue of device-writable buffers. */
#include "internal.h"

static struct vq rq;
static int rng_ok;

void isolate_rng_init(uint64_t mmio) {
  uint64_t features;
  if (vdev_begin(mmio, VIRTIO_ID_RNG, 0, &features) != 0 || vq_setup(&rq, mmio, 0) != 0) {
    isolate_log(ISOLATE_WARN, "virtio-rng: device setup failed");
    return;
  }
  vdev_driver_ok(mmio);
  rng_ok = 1;
}

int isolate_random(void *buf, size_t len) {
  if (!rng_ok) {
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
