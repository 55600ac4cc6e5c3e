/*
 * blk.c - driver for virtio-blk (virtio 1.2, 5.2): one request queue per disk; a request is a chain of a 16-byte
 * header, the data (the caller's own buffer: guest memory is identity-mapped, so nothing is copied) and a status
 * byte. Disks start on first use, like the rng: a guest that never reads a disk pays nothing for it at boot.
 */
#include "internal.h"

#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_ID_BYTES 20
#define MAX_CHUNK (1u << 20) /* bytes per request: well under the host's per-request cap */

struct blk_header {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};

static struct disk {
  uint64_t mmio;
  int state; /* 0 not started, 1 ready, -1 failed */
  int read_only;
  uint64_t size;
  char id[VIRTIO_BLK_ID_BYTES + 1];
  struct vq q;
  struct blk_header header; /* the device has read it when the chain comes back */
  volatile uint8_t status;
} disks[ISOLATE_DISK_MAX];
static int disk_count;

void isolate_disk_found(uint64_t mmio) {
  if (disk_count < ISOLATE_DISK_MAX) {
    disks[disk_count++].mmio = mmio;
  }
}

/* One request, waited for: returns the device's status, or -1 if the queue would not take it. */
static int request(struct disk *d, uint32_t type, uint64_t sector, void *data, uint32_t len, int device_writes) {
  d->header.type = type;
  d->header.reserved = 0;
  d->header.sector = sector;
  d->status = 0xff;
  struct vbuf bufs[3];
  int n = 0;
  bufs[n++] = (struct vbuf){&d->header, sizeof d->header, 0};
  if (len > 0) {
    bufs[n++] = (struct vbuf){data, len, device_writes};
  }
  bufs[n++] = (struct vbuf){(const void *)&d->status, 1, 1};
  if (vq_add(&d->q, bufs, n) < 0) {
    return -1;
  }
  vq_kick(&d->q);
  uint16_t head;
  uint32_t used;
  while (!vq_take_used(&d->q, &head, &used)) {
    if (vq_wait_or_broken(&d->q) < 0) {
      d->state = -1; /* the device needs a reset: this disk is unusable from now on */
      return -1;
    }
  }
  return d->status;
}

static int start(struct disk *d) {
  uint64_t features;
  if (vdev_begin(d->mmio, VIRTIO_BLK_F_RO, &features) != 0 || vq_setup(&d->q, d->mmio, 0) != 0) {
    vdev_fail(d->mmio);
    return -1;
  }
  if (vdev_driver_ok(d->mmio) != 0) {
    vdev_fail(d->mmio);
    return -1;
  }
  d->read_only = (features & VIRTIO_BLK_F_RO) != 0;
  /* capacity: a u64 count of 512-byte sectors at config offset 0, read as two 4-byte registers */
  uint64_t lo = isolate_mmio_read32(d->mmio + VIRTIO_MMIO_CONFIG);
  uint64_t hi = isolate_mmio_read32(d->mmio + VIRTIO_MMIO_CONFIG + 4);
  d->size = (hi << 32 | lo) * ISOLATE_DISK_SECTOR;
  memset(d->id, 0, sizeof d->id);
  d->state = 1; /* request() needs a started disk */
  if (request(d, VIRTIO_BLK_T_GET_ID, 0, d->id, VIRTIO_BLK_ID_BYTES, 1) != VIRTIO_BLK_S_OK || d->id[0] == '\0') {
    vdev_fail(d->mmio);
    return -1; /* a disk without a name cannot be found, and must not match "" */
  }
  return 1;
}

static struct disk *usable(int disk) {
  if (disk < 0 || disk >= disk_count) {
    return 0;
  }
  struct disk *d = &disks[disk];
  if (d->state == 0) {
    d->state = start(d);
    if (d->state < 0) {
      isolate_log(ISOLATE_WARN, "virtio-blk: disk %d: device setup failed", disk);
    }
  }
  return d->state > 0 ? d : 0;
}

int isolate_disk_find(const char *name) {
  for (int i = 0; i < disk_count; i++) {
    struct disk *d = usable(i);
    if (d && strcmp(d->id, name) == 0) {
      return i;
    }
  }
  return -1;
}

int64_t isolate_disk_size(int disk) {
  struct disk *d = usable(disk);
  return d ? (int64_t)d->size : -1;
}

int isolate_disk_read_only(int disk) {
  struct disk *d = usable(disk);
  return d ? d->read_only : -1;
}

static int transfer(int disk, uint64_t offset, void *buf, size_t len, int to_disk) {
  struct disk *d = usable(disk);
  if (!d || offset % ISOLATE_DISK_SECTOR != 0 || len % ISOLATE_DISK_SECTOR != 0 || (len > 0 && !buf)) {
    return -1;
  }
  unsigned char *p = buf;
  while (len > 0) {
    uint32_t n = len > MAX_CHUNK ? MAX_CHUNK : (uint32_t)len;
    int status = request(d, to_disk ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, offset / ISOLATE_DISK_SECTOR, p, n, !to_disk);
    if (status < 0) {
      return -1;
    }
    if (status != VIRTIO_BLK_S_OK) {
      return -2;
    }
    p += n;
    offset += n;
    len -= n;
  }
  return 0;
}

int isolate_disk_read(int disk, uint64_t offset, void *buf, size_t len) {
  return transfer(disk, offset, buf, len, 0);
}

int isolate_disk_write(int disk, uint64_t offset, const void *buf, size_t len) {
  return transfer(disk, offset, (void *)buf, len, 1);
}
