// Prints its arguments (argv[0] included) and then its whole environment, one per line.
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) {
    printf("arg %d=%s\n", i, argv[i]);
  }
  for (char **e = environ; *e; e++) {
    printf("env %s\n", *e);
  }
  fprintf(stderr, "%d args\n", argc);
  return 0;
}
