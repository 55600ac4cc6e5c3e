/*
 * console.c - driver for virtio-console with VIRTIO_CONSOLE_F_MULTIPORT: port 0 is stdout, the port the host
 * names "isolate.call" carries call frames (ABI.md). Queues: 0/1 port 0 rx/tx, 2/3 control rx/tx, then
 * 2(n+1) and 2(n+1)+1 for port n.
 */
#include "internal.h"

#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD 1
#define VIRTIO_CONSOLE_PORT_READY 3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_PORT_OPEN 6
#define VIRTIO_CONSOLE_PORT_NAME 7

#define CTRL_BUFS 8
#define CTRL_BUF_SIZE 512
#define CALL_RX_BUFS 16
#define CALL_RX_BUF_SIZE (64 * 1024)
#define TX_PIECE (1u << 20) /* bytes per chain: well under the host's per-request cap */
#define MAX_PORTS 8

static uint64_t con_mmio;
static int console_ok;
static int multiport;
static uint32_t max_ports = 1;
static struct vq tx0, crx, ctx;
static struct vq call_rx, call_tx;
static unsigned char *ctrl_buf[VQ_SIZE];
static unsigned char *call_buf[VQ_SIZE];
static int call_port = -1;
static int call_port_up;
static uint32_t ports_opened_by_host;

struct ctrl_msg {
  uint32_t id;
  uint16_t event;
  uint16_t value;
};

/* ---- sending: every piece is a one-descriptor chain; the host concatenates a port's chains in order ---- */

static int tx_pieces(struct vq *q, const struct vbuf *pieces, int n) {
  int next = 0;
  while (next < n) {
    int in_flight = 0;
    while (next < n && q->num_free > 0) {
      if (vq_add(q, &pieces[next], 1) < 0) {
        break;
      }
      next++;
      in_flight++;
    }
    if (in_flight == 0) {
      return -1;
    }
    vq_kick(q);
    while (in_flight > 0) {
      uint16_t head;
      uint32_t len;
      vq_wait(q);
      while (vq_take_used(q, &head, &len)) {
        in_flight--;
      }
    }
  }
  return 0;
}

/* Splits [data, data+len) into pieces of at most TX_PIECE bytes appended to `out`; returns the new count. */
static int split(struct vbuf *out, int n, int cap, const void *data, size_t len) {
  const unsigned char *p = data;
  while (len > 0 && n < cap) {
    uint32_t k = len > TX_PIECE ? TX_PIECE : (uint32_t)len;
    out[n].addr = p;
    out[n].len = k;
    out[n].writable = 0;
    n++;
    p += k;
    len -= k;
  }
  return n;
}

long isolate_write(const void *data, size_t len) {
  if (!console_ok) {
    return -1;
  }
  const unsigned char *p = data;
  size_t left = len;
  while (left > 0) {
    struct vbuf pieces[32];
    size_t batch = left > 32ull * TX_PIECE ? 32ull * TX_PIECE : left;
    int n = split(pieces, 0, 32, p, batch);
    if (tx_pieces(&tx0, pieces, n) < 0) {
      return -2;
    }
    p += batch;
    left -= batch;
  }
  return (long)len;
}

int isolate_puts(const char *s) {
  long a = isolate_write(s, strlen(s));
  long b = isolate_write("\n", 1);
  return a < 0 || b < 0 ? -1 : 0;
}

int isolate_printf(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = isolate_vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n >= (int)sizeof buf) {
    n = sizeof buf - 1;
  }
  return isolate_write(buf, (size_t)n) < 0 ? -1 : n;
}

/* ---- control queue ---- */

/* Control messages are batched: one kick (one exit) sends all that a round of the handshake produces. */
#define CTRL_OUT_MAX 8
static struct ctrl_msg ctrl_out[CTRL_OUT_MAX]; /* the device has read them when their chains come back */
static int ctrl_out_n;

static void ctrl_flush(void) {
  if (ctrl_out_n == 0) {
    return;
  }
  struct vbuf b[CTRL_OUT_MAX];
  for (int i = 0; i < ctrl_out_n; i++) {
    b[i] = (struct vbuf){&ctrl_out[i], sizeof ctrl_out[i], 0};
  }
  tx_pieces(&ctx, b, ctrl_out_n);
  ctrl_out_n = 0;
}

static void ctrl_send(uint32_t id, uint16_t event, uint16_t value) {
  if (ctrl_out_n == CTRL_OUT_MAX) {
    ctrl_flush();
  }
  ctrl_out[ctrl_out_n++] = (struct ctrl_msg){id, event, value};
}

static void post(struct vq *q, unsigned char **bufs_by_head, unsigned char *buf, uint32_t size) {
  struct vbuf b = {buf, size, 1};
  int head = vq_add(q, &b, 1);
  if (head >= 0) {
    bufs_by_head[head] = buf;
  }
}

static int port_queues(int port, struct vq *rx, struct vq *tx) {
  if (vq_setup(rx, con_mmio, (uint16_t)(2 * (port + 1))) != 0) {
    return -1;
  }
  return vq_setup(tx, con_mmio, (uint16_t)(2 * (port + 1) + 1));
}

static void handle_ctrl(const unsigned char *buf, uint32_t len) {
  if (len < sizeof(struct ctrl_msg)) {
    return;
  }
  struct ctrl_msg m;
  memcpy(&m, buf, sizeof m);
  switch (m.event) {
    case VIRTIO_CONSOLE_DEVICE_ADD:
      ctrl_send(m.id, VIRTIO_CONSOLE_PORT_READY, m.id < max_ports && m.id < MAX_PORTS ? 1 : 0);
      break;
    case VIRTIO_CONSOLE_PORT_NAME: {
      uint32_t n = len - sizeof m;
      if (n == sizeof ISOLATE_CALL_PORT_NAME - 1 && memcmp(buf + sizeof m, ISOLATE_CALL_PORT_NAME, n) == 0
          && m.id > 0 && m.id < max_ports && call_port < 0) {
        call_port = (int)m.id;
      }
      break;
    }
    case VIRTIO_CONSOLE_PORT_OPEN:
      if (m.id < 32) {
        if (m.value) {
          ports_opened_by_host |= 1u << m.id;
        } else {
          ports_opened_by_host &= ~(1u << m.id);
        }
      }
      break;
    default:
      break; /* CONSOLE_PORT, RESIZE: nothing to do */
  }
}

/* Processes the control messages that have arrived; returns how many. */
static int poll_ctrl(void) {
  int n = 0;
  uint16_t head;
  uint32_t len;
  while (vq_take_used(&crx, &head, &len)) {
    unsigned char *buf = ctrl_buf[head];
    handle_ctrl(buf, len > CTRL_BUF_SIZE ? CTRL_BUF_SIZE : len);
    post(&crx, ctrl_buf, buf, CTRL_BUF_SIZE);
    n++;
  }
  if (n > 0) {
    vq_kick(&crx); /* costs nothing unless the host waits for buffers (it sets NO_NOTIFY otherwise) */
  }
  ctrl_flush();
  return n;
}

void isolate_console_init(uint64_t mmio) {
  uint64_t features;
  con_mmio = mmio;
  if (vdev_begin(mmio, VIRTIO_CONSOLE_F_MULTIPORT, &features) != 0) {
    isolate_log(ISOLATE_WARN, "virtio-console: negotiation failed");
    return;
  }
  multiport = (features & VIRTIO_CONSOLE_F_MULTIPORT) != 0;
  struct vq rx0;
  if (vq_setup(&rx0, mmio, 0) != 0 || vq_setup(&tx0, mmio, 1) != 0) {
    isolate_log(ISOLATE_WARN, "virtio-console: port 0 queues failed");
    return;
  }
  if (multiport) {
    max_ports = isolate_mmio_read32(mmio + VIRTIO_MMIO_CONFIG + 4);
    if (vq_setup(&crx, mmio, 2) != 0 || vq_setup(&ctx, mmio, 3) != 0) {
      isolate_log(ISOLATE_WARN, "virtio-console: control queues failed");
      return;
    }
    /* the call port is port 1 when the host offers it; its queues must exist before DRIVER_OK */
    if (max_ports >= 2 && port_queues(1, &call_rx, &call_tx) != 0) {
      isolate_log(ISOLATE_WARN, "virtio-console: port 1 queues failed");
      max_ports = 1;
    }
  }
  /* Receive buffers go in before DRIVER_OK (the device uses none before it), their notifications after it: the
   * device marks its receive queues VIRTQ_USED_F_NO_NOTIFY when it starts, which then spares these kicks (ABI.md,
   * section 3). */
  if (multiport) {
    for (int i = 0; i < CTRL_BUFS; i++) {
      unsigned char *b = isolate_alloc(CTRL_BUF_SIZE);
      if (b) {
        post(&crx, ctrl_buf, b, CTRL_BUF_SIZE);
      }
    }
    for (int i = 0; max_ports >= 2 && i < CALL_RX_BUFS; i++) {
      unsigned char *b = isolate_alloc(CALL_RX_BUF_SIZE);
      if (b) {
        post(&call_rx, call_buf, b, CALL_RX_BUF_SIZE);
      }
    }
  }
  if (vdev_driver_ok(mmio) != 0) {
    isolate_log(ISOLATE_WARN, "virtio-console: the device refused its set-up");
    return;
  }
  console_ok = 1;
  if (!multiport) {
    return;
  }
  ctrl_send(0, VIRTIO_CONSOLE_DEVICE_READY, 1);
  ctrl_flush();
  vq_kick(&crx);
  if (max_ports >= 2) {
    vq_kick(&call_rx);
  }
  /* the host answers DEVICE_READY with DEVICE_ADD per port, and PORT_READY with a name and PORT_OPEN; it does so
   * while serving the kick, so the answers are usually there already and the clock (an exit) is read only when
   * they are not */
  int64_t start = -1;
  uint32_t all = max_ports >= 32 ? 0xffffffffu : (1u << max_ports) - 1;
  while ((ports_opened_by_host & all) != all) {
    if (poll_ctrl() == 0) {
      int64_t now = isolate_clock(ISOLATE_CLOCK_MONOTONIC);
      if (start < 0) {
        start = now;
      } else if (now - start > 2000000000ll) {
        isolate_log(ISOLATE_WARN, "virtio-console: host opened ports 0x%x of 0x%x", ports_opened_by_host, all);
        break;
      }
      vq_wait(&crx);
    }
  }
  ctrl_send(0, VIRTIO_CONSOLE_PORT_OPEN, 1);
  if (call_port == 1) {
    ctrl_send(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    call_port_up = 1;
  }
  ctrl_flush();
}

/* ---- call framing ---- */

struct frame {
  struct frame *next;
  uint16_t kind;
  uint16_t status;
  uint32_t id;
  uint32_t name_len;
  uint32_t payload_len;
  int discard; /* payload did not fit in the heap: consumed and dropped, answered TOO_LARGE */
  char name[ISOLATE_CALL_MAX_NAME + 1];
  unsigned char *payload;
};

static struct {
  unsigned char header[ISOLATE_CALL_HEADER_SIZE];
  uint32_t header_fill;
  struct frame *cur;
  uint64_t body_fill;
  int broken;
} in;

static struct frame *pending_first, *pending_last;

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

static void broken(const char *why, uint32_t value) {
  isolate_log(ISOLATE_ERROR, "call port: host broke the framing: %s (%u)", why, value);
  in.broken = 1;
}

static void start_frame(void) {
  const unsigned char *h = in.header;
  if (le32(h) != ISOLATE_CALL_MAGIC) {
    broken("bad magic", le32(h));
    return;
  }
  struct frame *f = isolate_alloc(sizeof *f);
  if (!f) {
    broken("heap exhausted", 0);
    return;
  }
  f->next = 0;
  f->kind = le16(h + 4);
  f->status = le16(h + 6);
  f->id = le32(h + 8);
  f->name_len = le32(h + 12);
  f->payload_len = le32(h + 16);
  f->discard = 0;
  f->payload = 0;
  if (f->kind != ISOLATE_FRAME_CALL && f->kind != ISOLATE_FRAME_HOST_REPLY) {
    broken("unexpected kind", f->kind);
    return;
  }
  if (f->name_len > ISOLATE_CALL_MAX_NAME || (f->kind == ISOLATE_FRAME_CALL && f->name_len == 0)) {
    broken("bad name length", f->name_len);
    return;
  }
  if (f->payload_len > 0) {
    f->payload = isolate_alloc(f->payload_len);
    if (!f->payload) {
      f->discard = 1;
    }
  }
  in.cur = f;
  in.body_fill = 0;
}

static void finish_frame(void) {
  struct frame *f = in.cur;
  f->name[f->name_len] = '\0';
  if (pending_last) {
    pending_last->next = f;
  } else {
    pending_first = f;
  }
  pending_last = f;
  in.cur = 0;
  in.header_fill = 0;
}

static void feed(const unsigned char *data, uint32_t len) {
  while (len > 0 && !in.broken) {
    if (!in.cur) {
      uint32_t k = ISOLATE_CALL_HEADER_SIZE - in.header_fill;
      if (k > len) {
        k = len;
      }
      memcpy(in.header + in.header_fill, data, k);
      in.header_fill += k;
      data += k;
      len -= k;
      if (in.header_fill == ISOLATE_CALL_HEADER_SIZE) {
        start_frame();
      }
    } else {
      struct frame *f = in.cur;
      uint64_t body = (uint64_t)f->name_len + f->payload_len;
      uint64_t k = body - in.body_fill;
      if (k > len) {
        k = len;
      }
      for (uint64_t i = 0; i < k;) {
        uint64_t pos = in.body_fill + i;
        uint64_t n;
        if (pos < f->name_len) {
          n = f->name_len - pos < k - i ? f->name_len - pos : k - i;
          memcpy(f->name + pos, data + i, n);
        } else {
          n = k - i;
          if (!f->discard) {
            memcpy(f->payload + (pos - f->name_len), data + i, n);
          }
        }
        i += n;
      }
      in.body_fill += k;
      data += k;
      len -= (uint32_t)k;
    }
    if (in.cur && in.body_fill == (uint64_t)in.cur->name_len + in.cur->payload_len) {
      finish_frame();
    }
  }
}

/* Moves what arrived on the call port and the control queue into frames; returns the number of buffers seen. */
static int pump(void) {
  int n = 0;
  uint16_t head;
  uint32_t len;
  while (vq_take_used(&call_rx, &head, &len)) {
    unsigned char *buf = call_buf[head];
    feed(buf, len > CALL_RX_BUF_SIZE ? CALL_RX_BUF_SIZE : len);
    post(&call_rx, call_buf, buf, CALL_RX_BUF_SIZE);
    n++;
  }
  if (n > 0) {
    vq_kick(&call_rx);
  }
  poll_ctrl();
  return n;
}

static int send_frame(uint16_t kind, uint16_t status, uint32_t id, const char *name, const void *payload,
                      size_t payload_len) {
  unsigned char h[ISOLATE_CALL_HEADER_SIZE];
  uint32_t name_len = name ? (uint32_t)strlen(name) : 0;
  uint32_t words[6] = {ISOLATE_CALL_MAGIC, (uint32_t)kind | (uint32_t)status << 16, id, name_len,
                       (uint32_t)payload_len, 0};
  memcpy(h, words, sizeof h); /* x86-64 is little-endian, as the framing is */
  struct vbuf pieces[2 + 64];
  int n = 0;
  pieces[n++] = (struct vbuf){h, sizeof h, 0};
  if (name_len > 0) {
    pieces[n++] = (struct vbuf){name, name_len, 0};
  }
  const unsigned char *p = payload;
  size_t left = payload_len;
  const int cap = (int)(sizeof pieces / sizeof pieces[0]);
  do {
    while (left > 0 && n < cap) {
      uint32_t k = left > TX_PIECE ? TX_PIECE : (uint32_t)left;
      pieces[n++] = (struct vbuf){p, k, 0};
      p += k;
      left -= k;
    }
    if (tx_pieces(&call_tx, pieces, n) < 0) {
      return -1;
    }
    n = 0;
  } while (left > 0);
  return 0;
}

/* ---- handlers and the serve loop ---- */

#define MAX_HANDLERS 32
static struct {
  const char *name;
  isolate_handler fn;
} handlers[MAX_HANDLERS];
static int handler_count;
static uint32_t next_host_call = 1;

int isolate_register_handler(const char *name, isolate_handler fn) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > ISOLATE_CALL_MAX_NAME || !fn || handler_count == MAX_HANDLERS) {
    return -1;
  }
  handlers[handler_count].name = name;
  handlers[handler_count].fn = fn;
  handler_count++;
  return 0;
}

static void reply_text(uint32_t id, uint16_t status, const char *text) {
  send_frame(ISOLATE_FRAME_REPLY, status, id, 0, text, strlen(text));
}

static void handle(struct frame *f) {
  if (f->kind != ISOLATE_FRAME_CALL) {
    return; /* a host reply nobody waits for any more */
  }
  if (f->discard) {
    reply_text(f->id, ISOLATE_STATUS_TOO_LARGE, "payload does not fit in the guest heap");
    return;
  }
  for (int i = 0; i < handler_count; i++) {
    if (strcmp(handlers[i].name, f->name) == 0) {
      isolate_reply reply = {0, 0};
      int rc = handlers[i].fn(f->payload, f->payload_len, &reply);
      send_frame(ISOLATE_FRAME_REPLY, rc == 0 ? ISOLATE_STATUS_OK : ISOLATE_STATUS_FAILED, f->id, 0, reply.data,
                 reply.data ? reply.len : 0);
      return;
    }
  }
  reply_text(f->id, ISOLATE_STATUS_NO_SUCH_FUNCTION, "no such function");
}

static struct frame *take_pending(void) {
  struct frame *f = pending_first;
  if (f) {
    pending_first = f->next;
    if (!pending_first) {
      pending_last = 0;
    }
  }
  return f;
}

int isolate_serve(void) {
  if (!call_port_up) {
    isolate_log(ISOLATE_ERROR, "isolate_serve: the host offers no '%s' port", ISOLATE_CALL_PORT_NAME);
    return -1;
  }
  /* Announces the handlers (io.isolate.spi.GuestSdk.SERVE): each name followed by a NUL. The host's reply is not
   * waited for; handle() drops it like any host reply nobody waits for. */
  static char names[MAX_HANDLERS * (ISOLATE_CALL_MAX_NAME + 1)];
  size_t at = 0;
  for (int i = 0; i < handler_count; i++) {
    size_t n = strlen(handlers[i].name);
    memcpy(names + at, handlers[i].name, n);
    at += n;
    names[at++] = '\0';
  }
  if (send_frame(ISOLATE_FRAME_HOST_CALL, 0, next_host_call++, "isolate.serve", names, at) < 0) {
    return -1;
  }
  uintptr_t base = isolate_heap_mark();
  for (;;) {
    if (!pending_first && !in.cur && in.header_fill == 0) {
      isolate_heap_release(base); /* every call so far is answered: its memory is free again */
    }
    while (!pending_first) {
      if (in.broken) {
        return -2;
      }
      if (pump() == 0) {
        vq_wait(&call_rx);
      }
    }
    handle(take_pending());
  }
}

int isolate_host_call(const char *name, const void *input, size_t in_len, void **out, size_t *out_len) {
  if (!call_port_up) {
    return -1;
  }
  uint32_t id = next_host_call++;
  if (send_frame(ISOLATE_FRAME_HOST_CALL, 0, id, name, input, in_len) < 0) {
    return -2;
  }
  for (;;) {
    for (struct frame **p = &pending_first, *prev = 0; *p; prev = *p, p = &(*p)->next) {
      struct frame *f = *p;
      if (f->kind == ISOLATE_FRAME_HOST_REPLY && f->id == id) {
        *p = f->next;
        if (pending_last == f) {
          pending_last = prev;
        }
        *out = f->payload;
        *out_len = f->discard ? 0 : f->payload_len;
        return f->discard ? ISOLATE_STATUS_TOO_LARGE : f->status;
      }
    }
    if (in.broken) {
      return -3;
    }
    if (pump() == 0) {
      vq_wait(&call_rx);
    }
  }
}
