// The call-latency benchmark's library: one export, no imports, so raw Chicory can instantiate it as is.
// Built by rebuild.sh beside this file.
__attribute__((export_name("add"))) int add(int a, int b) { return a + b; }
