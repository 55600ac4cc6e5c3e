/* Hostile or broken guests: fault jump|null|ud2|int3|hlt|spin|stack|rodata|abort|ignored. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int depth(int n) {
  volatile char pad[4096];
  pad[0] = (char)n;
  return depth(n + 1) + pad[0];
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "jump";
  if (!strcmp(mode, "jump")) ((void (*)(void))0xdead0000UL)();
  if (!strcmp(mode, "null")) *(volatile int *)0 = 1;
  if (!strcmp(mode, "ud2")) __asm__ volatile("ud2");
  if (!strcmp(mode, "int3")) __asm__ volatile("int3");
  if (!strcmp(mode, "hlt")) __asm__ volatile("hlt");
  if (!strcmp(mode, "spin")) for (;;) __asm__ volatile("");
  if (!strcmp(mode, "stack")) return depth(0);
  if (!strcmp(mode, "abort")) abort();
  if (!strcmp(mode, "ignored")) { signal(SIGUSR1, SIG_IGN); raise(SIGUSR1); puts("survived SIGUSR1"); return 0; }
  if (!strcmp(mode, "rodata")) *(volatile char *)"constant" = 'x';
  return 0;
}
