// A command that needs env.foo, which no host provides.
#include <stdio.h>

__attribute__((import_module("env"), import_name("foo"))) int foo(int);

int main(void) {
  printf("%d\n", foo(1));
  return 0;
}
