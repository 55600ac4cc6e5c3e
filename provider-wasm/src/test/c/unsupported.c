// Calls a WASI preview 1 function that Chicory does not implement (sock_accept), twice, and prints the errno
// it got each time.
#include <stdio.h>
#include <wasi/api.h>

int main(void) {
  __wasi_fd_t accepted;
  __wasi_errno_t first = __wasi_sock_accept(3, 0, &accepted);
  __wasi_errno_t second = __wasi_sock_accept(3, 0, &accepted);
  printf("errno %d %d\n", first, second);
  return 0;
}
