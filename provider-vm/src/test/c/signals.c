/* Signal handlers run for faults and for signals a program sends itself: signals MODE, MODE one of
   longjmp | fixup | raise | fpe | altstack | abort | blocked. Prints what happened. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jump;
static volatile sig_atomic_t ran;
static volatile char *page; /* volatile: the store must happen before ran is read */

static void on_segv_jump(int sig, siginfo_t *info, void *uc) {
  (void)uc;
  printf("caught signal %d code %d addr %p\n", sig, info->si_code, info->si_addr);
  siglongjmp(jump, 1);
}

static void on_segv_fix(int sig, siginfo_t *info, void *uc) {
  (void)sig;
  (void)uc;
  mprotect((void *)((unsigned long)info->si_addr & ~4095UL), 4096, PROT_READ | PROT_WRITE);
  ran++;
}

static void on_usr1(int sig) { ran = sig; }

static void on_overflow(int sig) {
  char msg[] = "stack overflow caught on the alternate stack\n";
  write(1, msg, sizeof msg - 1);
  _exit(sig == SIGSEGV ? 0 : 1);
}

static void on_abrt(int sig) { _exit(sig); }

static int depth(int n) {
  volatile char pad[4096];
  pad[0] = (char)n;
  return depth(n + 1) + pad[0];
}

static void install(int sig, void (*h)(int, siginfo_t *, void *), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO | flags;
  sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "longjmp";
  setvbuf(stdout, NULL, _IONBF, 0); /* nothing lost when a signal ends the program */
  if (!strcmp(mode, "longjmp")) {
    install(SIGSEGV, on_segv_jump, 0);
    if (!sigsetjmp(jump, 1)) *(volatile int *)16 = 1;
    if (!sigsetjmp(jump, 1)) *(volatile int *)32 = 2; /* again: the mask was restored by siglongjmp */
    puts("after two recoveries");
    return 0;
  }
  if (!strcmp(mode, "fixup")) {
    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    install(SIGSEGV, on_segv_fix, 0);
    double before = 1.5 * argc;
    page[100] = 42; /* faults once, the handler makes the page writable, the store is retried */
    printf("page[100]=%d handler ran %d time(s), double %.1f\n", page[100], (int)ran, before * 2);
    return 0;
  }
  if (!strcmp(mode, "killall")) {
    /* Linux excludes the caller from kill(-1): with no other process to signal, ESRCH, and the caller lives.
     * Run on a host, kill(-1, SIGKILL) ends every process the user may signal (as root: the machine's), so this
     * mode acts only as the isolate's single process, pid 2 of parent 1, which on a host is the kernel's kthreadd. */
    if (getpid() != 2 || getppid() != 1) {
      puts("refusing: killall is for the isolate only");
      return 2;
    }
    int r = kill(-1, SIGKILL);
    printf("kill(-1, SIGKILL) = %d, errno %d; still alive\n", r, r < 0 ? errno : 0);
    return 7;
  }
  if (!strcmp(mode, "raise")) {
    signal(SIGUSR1, on_usr1);
    double x = 0.25 * argc;
    raise(SIGUSR1);
    printf("handler saw signal %d, x=%.2f\n", (int)ran, x * 4);
    return 0;
  }
  if (!strcmp(mode, "fpe")) {
    install(SIGFPE, on_segv_jump, 0);
    volatile int zero = 0;
    if (!sigsetjmp(jump, 1)) printf("%d\n", 100 / zero); /* not 1 / x: gcc computes that without dividing */
    return 0;
  }
  if (!strcmp(mode, "altstack")) {
    stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_overflow;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    return depth(0);
  }
  if (!strcmp(mode, "abort")) {
    signal(SIGABRT, on_abrt);
    abort();
  }
  if (!strcmp(mode, "blocked")) {
    install(SIGSEGV, on_segv_jump, SA_RESETHAND);
    if (!sigsetjmp(jump, 0)) *(volatile int *)16 = 1; /* handled once; SA_RESETHAND restores the default */
    *(volatile int *)48 = 3; /* default action: the run ends with a fault */
    return 0;
  }
  return 2;
}
