/* A broken plugin: traps. */
int main(void) { __builtin_trap(); }
