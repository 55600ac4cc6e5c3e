/* virtio.c - virtio-mmio device bring-up and the driver side of split virtqueues (virtio 1.2, 2.7 and 4.2). */
#include "internal.h"

static uint32_t rd(uint64_t mmio, uint32_t reg) {
  return isolate_mmio_read32(mmio + reg);
}

static void wr(uint64_t mmio, uint32_t reg, uint32_t v) {
  isolate_mmio_write32(mmio + reg, v);
}

/*
 * Every register access is an exit to the VMM or, for writes the VMM lets the kernel buffer, a trip into the host
 * kernel: on a PVM host 20 us and a few us. So the driver makes only the accesses the specification asks for:
 * the device's magic, version and ID once (isolate_devices_init reads magic and ID and picks the driver), the
 * features, the FEATURES_OK read-back, each queue's size limit, and Status once after DRIVER_OK.
 */
int vdev_begin(uint64_t mmio, uint64_t wanted, uint64_t *accepted) {
  if (rd(mmio, VIRTIO_MMIO_VERSION) != 2) {
    return -1;
  }
  wr(mmio, VIRTIO_MMIO_STATUS, 0);
  wr(mmio, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
  wr(mmio, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
  wr(mmio, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  uint64_t offered = rd(mmio, VIRTIO_MMIO_DEVICE_FEATURES);
  wr(mmio, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  offered |= (uint64_t)rd(mmio, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  uint64_t want = (wanted | VIRTIO_F_VERSION_1) & offered;
  if (!(want & VIRTIO_F_VERSION_1)) {
    wr(mmio, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
    return -3;
  }
  wr(mmio, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  wr(mmio, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
  wr(mmio, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  wr(mmio, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
  wr(mmio, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
  if (!(rd(mmio, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
    wr(mmio, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
    return -4;
  }
  *accepted = want;
  return 0;
}

static void *zalloc(size_t n) {
  void *p = isolate_alloc(n);
  if (p) {
    memset(p, 0, n);
  }
  return p;
}

/* Called between vdev_begin (which reset the device, so that no queue is ready) and vdev_driver_ok. */
int vq_setup(struct vq *q, uint64_t mmio, uint16_t index) {
  wr(mmio, VIRTIO_MMIO_QUEUE_SEL, index);
  uint32_t max = rd(mmio, VIRTIO_MMIO_QUEUE_NUM_MAX);
  if (max == 0) {
    return -2;
  }
  uint16_t size = VQ_SIZE;
  while (size > max) {
    size >>= 1;
  }
  q->mmio = mmio;
  q->index = index;
  q->size = size;
  q->desc = zalloc(16u * size);
  q->avail = zalloc(6u + 2u * size);
  q->used = zalloc(6u + 8u * size);
  if (!q->desc || !q->avail || !q->used) {
    return -3;
  }
  for (uint16_t i = 0; i < size; i++) {
    q->desc[i].next = (uint16_t)(i + 1);
  }
  q->free_head = 0;
  q->num_free = size;
  q->avail_idx = 0;
  q->last_used = 0;
  uint64_t d = isolate_virt_to_phys((const void *)q->desc);
  uint64_t a = isolate_virt_to_phys((const void *)q->avail);
  uint64_t u = isolate_virt_to_phys((const void *)q->used);
  /* After a reset the device holds QueueNum = QueueNumMax and zero addresses (ABI.md, section 3): write only what
   * differs, since each write costs a trip into the host kernel. */
  if (size != max) {
    wr(mmio, VIRTIO_MMIO_QUEUE_NUM, size);
  }
  wr(mmio, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
  wr(mmio, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
  wr(mmio, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
  if ((d | a | u) >> 32) {
    wr(mmio, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
    wr(mmio, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
    wr(mmio, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
  }
  wr(mmio, VIRTIO_MMIO_QUEUE_READY, 1);
  return 0; /* a device that refuses the queue says so at DRIVER_OK (vdev_driver_ok) */
}

int vdev_driver_ok(uint64_t mmio) {
  wr(mmio, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK
      | VIRTIO_STATUS_DRIVER_OK);
  /* A device that refused a queue or could not start says so now (DEVICE_NEEDS_RESET): without this read the
   * driver would wait forever for a device that never answers. The read also makes the host apply the buffered
   * writes at once. */
  return rd(mmio, VIRTIO_MMIO_STATUS) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED) ? -1 : 0;
}

int vq_add(struct vq *q, const struct vbuf *bufs, int n) {
  if (n <= 0 || n > q->num_free) {
    return -1;
  }
  uint16_t head = q->free_head;
  uint16_t idx = head;
  uint16_t last = head;
  for (int i = 0; i < n; i++) {
    volatile struct virtq_desc *d = &q->desc[idx];
    d->addr = isolate_virt_to_phys(bufs[i].addr);
    d->len = bufs[i].len;
    d->flags = (uint16_t)((bufs[i].writable ? VIRTQ_DESC_F_WRITE : 0) | (i < n - 1 ? VIRTQ_DESC_F_NEXT : 0));
    last = idx;
    idx = d->next; /* the free list is threaded through next: the chain follows it */
  }
  q->free_head = q->desc[last].next;
  q->num_free = (uint16_t)(q->num_free - n);
  q->chain_len[head] = (uint16_t)n;
  q->avail[2 + (q->avail_idx & (q->size - 1))] = head;
  barrier(); /* x86 keeps stores in order; the ring entry is visible before the index */
  q->avail_idx++;
  q->avail[1] = q->avail_idx;
  return head;
}

void vq_kick(struct vq *q) {
  /* Publishing the available index and reading the device's NO_NOTIFY flag must not be reordered (x86 may let a
   * load pass an earlier store): the device does the mirror image, so one of us always sees the other. */
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (q->used[0] & VIRTQ_USED_F_NO_NOTIFY) {
    return; /* the device looks at this queue by itself: save the exit */
  }
  isolate_mmio_write32(q->mmio + VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

int vq_has_used(struct vq *q) {
  return q->used[1] != q->last_used;
}

int vq_take_used(struct vq *q, uint16_t *head, uint32_t *len) {
  uint16_t idx = q->used[1];
  if (idx == q->last_used) {
    return 0;
  }
  barrier();
  volatile struct virtq_used_elem *e =
      (volatile struct virtq_used_elem *)((volatile char *)q->used + 4) + (q->last_used & (q->size - 1));
  uint32_t id = e->id;
  uint32_t n = e->len;
  q->last_used++;
  if (id >= q->size || q->chain_len[id] == 0) {
    isolate_log(ISOLATE_ERROR, "virtqueue %u: device returned unknown head %u", q->index, id);
    return 0;
  }
  uint16_t last = (uint16_t)id;
  for (int i = 1; i < q->chain_len[id]; i++) {
    last = q->desc[last].next;
  }
  q->desc[last].next = q->free_head;
  q->free_head = (uint16_t)id;
  q->num_free = (uint16_t)(q->num_free + q->chain_len[id]);
  q->chain_len[id] = 0;
  *head = (uint16_t)id;
  *len = n;
  return 1;
}

/*
 * Waiting for the device: spin on the used ring first, since a block (WAIT_FOR_EVENT) and the wake-up cost an exit
 * each and a thread wake-up on the host, then block. As KVM's halt-polling and the host side of a call do
 * (ConsoleDevice.pollTransmit), the spin is timed, here with the TSC, and adapts between 10 and 200 us: it grows
 * when the answer came within 1 ms (a longer window would have caught it, or nearly) and shrinks when it came
 * later, which no window would have caught. Without a TSC frequency from the host, a fixed count of pauses.
 */
#define SPIN_MIN_US 10u
#define SPIN_MAX_US 200u
#define SPIN_INITIAL_US 50u
#define SPIN_USELESS_AFTER_US 1000u
#define SPIN_ROUNDS_WITHOUT_TSC 2000
#define WAIT_SLICE_NS 5000000ull

static uint32_t spin_us = SPIN_INITIAL_US;

static uint64_t tsc_per_us(void) {
  const struct isolate_boot_info *info = isolate_boot_info();
  /* tsc_khz came with ABI 1.1; a 1.0 host has argv[0]'s pointer there */
  return info && (info->abi_version & 0xffff) >= 1 ? info->tsc_khz / 1000 : 0;
}

/* True when the device reports it needs a reset (it broke the queue or refused a request layout): one exit. */
static int device_broken(struct vq *q) {
  return (rd(q->mmio, VIRTIO_MMIO_STATUS) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)) != 0;
}

/* Blocks until `q` has a used entry; with `give_up`, returns -1 instead when the device needs a reset. */
static int wait_used(struct vq *q, int give_up) {
  if (vq_has_used(q)) {
    return 0;
  }
  uint64_t per_us = tsc_per_us();
  uint64_t start = per_us ? read_tsc() : 0;
  if (per_us == 0) {
    for (int i = 0; i < SPIN_ROUNDS_WITHOUT_TSC; i++) {
      if (vq_has_used(q)) {
        return 0;
      }
      cpu_relax();
    }
  } else {
    uint64_t window = spin_us * per_us;
    do {
      cpu_relax();
      if (vq_has_used(q)) {
        return 0; /* the window paid off: keep it */
      }
    } while (read_tsc() - start < window);
  }
  while (!vq_has_used(q)) {
    isolate_wait_for_event(WAIT_SLICE_NS);
    if (give_up && !vq_has_used(q) && device_broken(q)) {
      return -1;
    }
  }
  if (per_us) {
    uint64_t took_us = (read_tsc() - start) / per_us;
    if (took_us <= SPIN_USELESS_AFTER_US) {
      uint64_t grown = 2 * (took_us > spin_us ? took_us : spin_us);
      spin_us = grown > SPIN_MAX_US ? SPIN_MAX_US : (uint32_t)grown;
    } else {
      spin_us = spin_us / 2 < SPIN_MIN_US ? SPIN_MIN_US : spin_us / 2;
    }
  }
  return 0;
}

void vq_wait(struct vq *q) {
  wait_used(q, 0);
}

int vq_wait_or_broken(struct vq *q) {
  return wait_used(q, 1);
}

void vdev_fail(uint64_t mmio) {
  wr(mmio, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
}
