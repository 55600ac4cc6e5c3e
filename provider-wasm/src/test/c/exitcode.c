// Exits with the code given as argv[1] (default 42), through proc_exit.
#include <stdlib.h>

int main(int argc, char **argv) {
  exit(argc > 1 ? atoi(argv[1]) : 42);
}
