#!/bin/sh
# build-elf.sh OUT_DIR - builds the HARDWARE-level benchmark fixtures (src/main/c/vm/*.c) as static x86-64 ELF
# executables with musl-gcc -static (Debian: apt-get install musl-tools). The benchmarks pom runs it at
# generate-resources, so the programs ship in the benchmark jar under /fixtures/vm/; the same binaries are run
# natively by the baselines. Set MUSL_CC to use another compiler.
set -eu
OUT=${1:?usage: build-elf.sh OUT_DIR}
SRC=$(cd "$(dirname "$0")" && pwd)/vm
CC=${MUSL_CC:-musl-gcc}
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "benchmarks: the HARDWARE fixtures need '$CC' (Debian/Ubuntu: apt-get install musl-tools)." >&2
  exit 1
fi
mkdir -p "$OUT"
for f in "$SRC"/*.c; do
  "$CC" -static -O2 -Wall -Wextra -Werror -o "$OUT/$(basename "$f" .c)" "$f"
done
echo "benchmarks: static fixtures built in $OUT"
