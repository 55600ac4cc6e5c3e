/*
 * isolate-helper --network-keeper: holds a network of isolates (io.isolate.container.ContainerNetwork).
 *
 * The keeper makes a network namespace of its own (in a user namespace of its own when not root: uid and gid 0 there
 * are the caller's), brings its loopback up and makes a bridge in it, then says "ready" on stdout. Each member of the
 * network gets a namespace of its own, held by a small child of the keeper (a "holder"): the member's isolate joins
 * the holder's namespace (--join-net HOLDER). The holder's namespace is owned by the keeper's user namespace, so the
 * keeper has CAP_NET_ADMIN over it whether the JVM is root or not. A veth pair links it to the bridge: one end in
 * the keeper's namespace, on the bridge; the other in the holder's, named eth0, with the member's address.
 *
 * Java decides which address a member gets; this code only checks that it is one and carries it out, speaking
 * netlink itself (no ip(8) at run time). A failure to set up is said on stdout instead of "ready". Commands on
 * stdin, one line each, each answered by one line on stdout:
 *   member A.B.C.D/N   ->  "member PID" (the holder, whose namespace is ready) or "error MESSAGE"
 *   release PID        ->  "released PID" (the holder ended; its namespace ends with the last member process in it,
 *                          and the veth pair with it) or "error MESSAGE"
 * The keeper lives until its stdin ends (the JVM closed it, or died); its holders end with it.
 */
#define _GNU_SOURCE
#include "isolate-helper.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BRIDGE "isolate0"
#define MAX_MEMBERS 1024
#define LINE_MAX_LEN 128

struct nl_req {
  struct nlmsghdr n;
  char buf[1024];
};

static unsigned nl_seq;

static void nl_begin(struct nl_req *r, int type, int flags, const void *head, size_t head_len) {
  memset(r, 0, sizeof *r);
  r->n.nlmsg_type = type;
  r->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  r->n.nlmsg_len = NLMSG_LENGTH(head_len);
  memcpy(NLMSG_DATA(&r->n), head, head_len);
}

/* The messages are built from fixed parts and names of at most IFNAMSIZ: they always fit in the request. */
static struct rtattr *nl_attr(struct nl_req *r, int type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)((char *)&r->n + NLMSG_ALIGN(r->n.nlmsg_len));
  if (NLMSG_ALIGN(r->n.nlmsg_len) + RTA_SPACE(len) > sizeof *r) DIEX("netlink request too long");
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}

static void nl_nest_end(struct nl_req *r, struct rtattr *nest) {
  nest->rta_len = (unsigned short)((char *)&r->n + r->n.nlmsg_len - (char *)nest);
}

/* Sends the request and waits for its acknowledgement: 0, or the kernel's -errno. */
static int nl_talk(int fd, struct nl_req *r) {
  r->n.nlmsg_seq = ++nl_seq;
  if (send(fd, &r->n, r->n.nlmsg_len, 0) != (ssize_t)r->n.nlmsg_len) return -errno;
  char buf[8192] __attribute__((aligned(4)));
  for (;;) {
    ssize_t got = recv(fd, buf, sizeof buf, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_seq != nl_seq || h->nlmsg_type != NLMSG_ERROR) continue;
      return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
  }
}

static int nl_open(void) {
  return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

/* Sets link `index` up, and on `master` when master > 0. */
static int link_up(int fd, int index, int master) {
  struct nl_req r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  nl_begin(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  if (master > 0) {
    unsigned m = (unsigned)master;
    nl_attr(&r, IFLA_MASTER, &m, sizeof m);
  }
  return nl_talk(fd, &r);
}

static int make_bridge(int fd) {
  struct nl_req r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  nl_begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  nl_attr(&r, IFLA_IFNAME, BRIDGE, sizeof BRIDGE);
  struct rtattr *info = nl_attr(&r, IFLA_LINKINFO, NULL, 0);
  nl_attr(&r, IFLA_INFO_KIND, "bridge", sizeof "bridge");
  nl_nest_end(&r, info);
  return nl_talk(fd, &r);
}

/* A veth pair: `name` here, its peer named eth0 in the network namespace of process `peer_pid`. */
static int make_veth(int fd, const char *name, pid_t peer_pid) {
  struct nl_req r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  nl_begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  struct rtattr *info = nl_attr(&r, IFLA_LINKINFO, NULL, 0);
  nl_attr(&r, IFLA_INFO_KIND, "veth", sizeof "veth");
  struct rtattr *data = nl_attr(&r, IFLA_INFO_DATA, NULL, 0);
  struct rtattr *peer = nl_attr(&r, VETH_INFO_PEER, &ifi, sizeof ifi);
  nl_attr(&r, IFLA_IFNAME, "eth0", sizeof "eth0");
  unsigned pid = (unsigned)peer_pid;
  nl_attr(&r, IFLA_NET_NS_PID, &pid, sizeof pid);
  nl_nest_end(&r, peer);
  nl_nest_end(&r, data);
  nl_nest_end(&r, info);
  return nl_talk(fd, &r);
}

static int add_address(int fd, int index, struct in_addr addr, int prefix) {
  struct nl_req r;
  struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix, .ifa_scope = RT_SCOPE_UNIVERSE,
                          .ifa_index = (unsigned)index};
  nl_begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  nl_attr(&r, IFA_LOCAL, &addr, sizeof addr);
  nl_attr(&r, IFA_ADDRESS, &addr, sizeof addr);
  return nl_talk(fd, &r);
}

static int index_of(const char *name) {
  unsigned index = if_nametoindex(name);
  if (index == 0) DIE("no link %s", name);
  return (int)index;
}

/* In the holder's (new) namespace: loopback up, eth0 with the member's address, up. Dies with the reason. */
static void configure_member(struct in_addr addr, int prefix) {
  int fd = nl_open();
  if (fd < 0) DIE("socket(NETLINK_ROUTE)");
  int err;
  if ((err = link_up(fd, index_of("lo"), 0)) != 0) { errno = -err; DIE("set lo up"); }
  int eth0 = index_of("eth0");
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr, text, sizeof text);
  if ((err = add_address(fd, eth0, addr, prefix)) != 0) {
    errno = -err;
    DIE("add address %s/%d to eth0", text, prefix);
  }
  if ((err = link_up(fd, eth0, 0)) != 0) { errno = -err; DIE("set eth0 up"); }
  close(fd);
}

/*
 * The holder: its stderr is the pipe to the keeper (so that a DIE tells the keeper why), `go` the pipe from it. Says
 * 'n' once its namespace exists, waits for the keeper's veth, configures, says 'k', then lives until `go` ends.
 */
static void holder_main(int go, int told, struct in_addr addr, int prefix, pid_t keeper) {
  if (dup2(told, 2) != 2 || dup2(go, 3) != 3) _exit(125);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0 || dup2(null, 0) != 0 || dup2(null, 1) != 1) _exit(125);
  /* nothing of the keeper's stays open here: not the JVM's pipes, nor the other holders' */
  if (syscall(SYS_close_range, 4, ~0U, 0) != 0) {
    for (int fd = 4; fd < 4096; fd++) close(fd);
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) DIE("prctl(PR_SET_PDEATHSIG)");
  if (getppid() != keeper) _exit(0);
  if (unshare(CLONE_NEWNET) != 0) DIE("unshare(net)");
  if (write(2, "n", 1) != 1) _exit(125);
  char b;
  if (read(3, &b, 1) != 1) _exit(0);
  configure_member(addr, prefix);
  if (write(2, "k", 1) != 1) _exit(125);
  while (read(3, &b, 1) > 0 || errno == EINTR) {
  }
  _exit(0);
}

struct member {
  pid_t pid;
  int go; /* the write end of the holder's pipe: closing it ends the holder */
};

static struct member members[MAX_MEMBERS];
static unsigned veth_count;

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
  char buf[PATH_BUF];
  va_list ap;
  va_start(ap, fmt);
  int n = format_line(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (write(1, buf, n) != n) _exit(125); /* the JVM is gone */
}

/* "A.B.C.D/N", nothing else: an IPv4 address and a prefix of 8..30 (a subnet with room for members). */
static int parse_address(const char *text, struct in_addr *addr, int *prefix) {
  char copy[LINE_MAX_LEN];
  snprintf(copy, sizeof copy, "%s", text);
  char *slash = strchr(copy, '/');
  if (!slash) return -1;
  *slash = 0;
  if (inet_pton(AF_INET, copy, addr) != 1) return -1;
  char *end;
  errno = 0;
  long n = strtol(slash + 1, &end, 10);
  if (errno || end == slash + 1 || *end || n < 8 || n > 30) return -1;
  *prefix = (int)n;
  return 0;
}

/* Waits for one byte from the holder; on anything else, collects what it said (its DIE message) into why. */
static int holder_says(int told, char expect, char *why, size_t why_len) {
  char b;
  ssize_t got;
  do got = read(told, &b, 1); while (got < 0 && errno == EINTR);
  if (got == 1 && b == expect) return 0;
  size_t n = 0;
  if (got == 1 && why_len > 1) why[n++] = b;
  while (n + 1 < why_len) {
    got = read(told, why + n, why_len - 1 - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    n += (size_t)got;
  }
  why[n] = 0;
  if (n == 0) snprintf(why, why_len, "the member's namespace holder ended");
  return -1;
}

static void add_member(int nl, const char *text) {
  struct in_addr addr;
  int prefix;
  if (parse_address(text, &addr, &prefix) != 0) {
    reply("error not an address A.B.C.D/N with N in 8..30: %s", text);
    return;
  }
  int slot = -1;
  for (int i = 0; i < MAX_MEMBERS && slot < 0; i++) {
    if (members[i].pid == 0) slot = i;
  }
  if (slot < 0) {
    reply("error too many members (max %d)", MAX_MEMBERS);
    return;
  }
  int go[2], told[2];
  if (pipe2(go, O_CLOEXEC) != 0) {
    reply("error pipe: %s", strerror(errno));
    return;
  }
  if (pipe2(told, O_CLOEXEC) != 0) {
    reply("error pipe: %s", strerror(errno));
    close(go[0]);
    close(go[1]);
    return;
  }
  pid_t keeper = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(go[1]);
    close(told[0]);
    holder_main(go[0], told[1], addr, prefix, keeper);
  }
  close(go[0]);
  close(told[1]);
  if (pid < 0) {
    reply("error fork: %s", strerror(errno));
    close(go[1]);
    close(told[0]);
    return;
  }
  char why[512], name[IFNAMSIZ];
  int err = 0;
  if (holder_says(told[0], 'n', why, sizeof why) == 0) {
    snprintf(name, sizeof name, "vi%u", veth_count++);
    if ((err = make_veth(nl, name, pid)) != 0) {
      snprintf(why, sizeof why, "create veth pair %s: %s", name, strerror(-err));
    } else {
      unsigned index = if_nametoindex(name);
      if (index == 0) {
        snprintf(why, sizeof why, "no link %s: %s", name, strerror(errno));
        err = -1;
      } else if ((err = link_up(nl, (int)index, (int)if_nametoindex(BRIDGE))) != 0) {
        snprintf(why, sizeof why, "attach %s to the bridge: %s", name, strerror(-err));
      } else if (write(go[1], "g", 1) != 1 || holder_says(told[0], 'k', why, sizeof why) != 0) {
        err = -1;
      }
    }
  } else {
    err = -1;
  }
  close(told[0]);
  if (err != 0) {
    close(go[1]); /* the holder ends, and its namespace with the veth pair in it */
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    reply("error %s", why);
    return;
  }
  members[slot].pid = pid;
  members[slot].go = go[1];
  reply("member %d", (int)pid);
}

static void release_member(const char *text) {
  char *end;
  errno = 0;
  long pid = strtol(text, &end, 10);
  int slot = -1;
  for (int i = 0; i < MAX_MEMBERS && slot < 0 && !errno && *text && !*end && pid > 0; i++) {
    if (members[i].pid == (pid_t)pid) slot = i;
  }
  if (slot < 0) {
    reply("error no member held by %s", text);
    return;
  }
  close(members[slot].go);
  while (waitpid(members[slot].pid, NULL, 0) < 0 && errno == EINTR) {
  }
  members[slot].pid = 0;
  reply("released %ld", pid);
}

void network_keeper_main(void) {
  signal(SIGPIPE, SIG_IGN); /* a holder or the JVM that went away is an error to answer or end on, not a signal */
  /* until "ready", a failure (DIE) is said on stdout, where the JVM reads it, instead of "ready" */
  int err_fd = dup(2);
  if (err_fd < 0 || dup2(1, 2) != 2) DIE("dup stderr");
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (uid == 0) {
    if (unshare(CLONE_NEWNET) != 0) DIE("unshare(net)");
  } else {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) DIE("unshare(user, net)");
    char map[64];
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    write_file("/proc/self/uid_map", map);
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    write_file("/proc/self/gid_map", map);
  }
  int nl = nl_open();
  if (nl < 0) DIE("socket(NETLINK_ROUTE)");
  int err;
  if ((err = link_up(nl, index_of("lo"), 0)) != 0) { errno = -err; DIE("set lo up"); }
  if ((err = make_bridge(nl)) != 0) { errno = -err; DIE("create bridge " BRIDGE); }
  reply("ready");
  if (dup2(err_fd, 2) != 2) DIE("dup2 stderr");
  close(err_fd);
  char line[LINE_MAX_LEN];
  size_t n = 0;
  int overlong = 0;
  for (;;) {
    char c;
    ssize_t got = read(0, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (c != '\n') {
      if (n + 1 < sizeof line) line[n++] = c;
      else overlong = 1;
      continue;
    }
    line[n] = 0;
    if (overlong) reply("error command too long");
    else if (!strncmp(line, "member ", 7)) add_member(nl, line + 7);
    else if (!strncmp(line, "release ", 8)) release_member(line + 8);
    else reply("error unknown command");
    n = 0;
    overlong = 0;
  }
  /* the holders end as their pipes close; reaped here rather than left to whatever adopts them */
  for (int i = 0; i < MAX_MEMBERS; i++) {
    if (members[i].pid > 0) close(members[i].go);
  }
  for (int i = 0; i < MAX_MEMBERS; i++) {
    while (members[i].pid > 0 && waitpid(members[i].pid, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  _exit(0);
}
