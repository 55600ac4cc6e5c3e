/* A hostile plugin: writes without end. */
#include <stdio.h>
int main(void) {
  for (;;) fputs("all work and no play makes a dull plugin\n", stdout);
}
