// Spins forever without calling the host: only an interruption can stop it.
int main(void) {
  volatile unsigned long n = 0;
  for (;;) {
    n++;
  }
}
