/* internal.h - declarations shared by the SDK's sources; not part of the public API. */
#ifndef ISOLATE_INTERNAL_H
#define ISOLATE_INTERNAL_H

#include "isolate_guest.h"
#include "platform.h"

void isolate_heap_init(const struct isolate_boot_info *info);
void isolate_devices_init(const struct isolate_boot_info *info);
void __isolate_start(const struct isolate_boot_info *info) __attribute__((noreturn));

/* ---- virtio-mmio (virtio 1.2, 4.2.2) ---- */
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_CONSOLE_F_MULTIPORT (1ull << 1)

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};

struct virtq_used_elem {
  uint32_t id;
  uint32_t len;
};

#define VQ_SIZE 64

/* The driver side of one split virtqueue. */
struct vq {
  uint64_t mmio;
  uint16_t index;
  uint16_t size;
  volatile struct virtq_desc *desc;
  volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
  volatile uint16_t *used;  /* flags, idx, then elems at byte offset 4 */
  uint16_t free_head;
  uint16_t num_free;
  uint16_t avail_idx;
  uint16_t last_used;
  uint16_t chain_len[VQ_SIZE];
};

struct vbuf {
  const void *addr;
  uint32_t len;
  int writable;
};

/* Resets the device at `mmio` (whose magic and device ID the caller has read), checks its version, negotiates `wanted` (VERSION_1 is added); 0 or negative. */
int vdev_begin(uint64_t mmio, uint64_t wanted, uint64_t *accepted);
int vq_setup(struct vq *q, uint64_t mmio, uint16_t index);
/* Sets DRIVER_OK; 0, or -1 when the device then reports it needs a reset (it refused the set-up). */
int vdev_driver_ok(uint64_t mmio);
/* Adds one chain; returns its head, or -1 when the queue lacks free descriptors. */
int vq_add(struct vq *q, const struct vbuf *bufs, int n);
void vq_kick(struct vq *q);
/* Takes one used entry: 1 with *head and *len set, or 0 when there is none. */
int vq_take_used(struct vq *q, uint16_t *head, uint32_t *len);
int vq_has_used(struct vq *q);
/* Spins on the used ring for an adaptive window (10-200 us), then blocks in WAIT_FOR_EVENT until `q` has a used
 * entry. */
void vq_wait(struct vq *q);
/* As vq_wait, but returns -1 when the device reports it needs a reset (checked after each blocking slice). */
int vq_wait_or_broken(struct vq *q);
/* Tells the device the driver gave up on it (Status FAILED). */
void vdev_fail(uint64_t mmio);

uint64_t isolate_mmio_slot(int slot);
void isolate_console_init(uint64_t mmio);
/* Remembers where the rng is; its driver starts on the first isolate_random(), sparing guests that never ask. */
void isolate_rng_found(uint64_t mmio);
/* Likewise for each disk: its driver starts on the first isolate_disk_* call. */
void isolate_disk_found(uint64_t mmio);

#endif
