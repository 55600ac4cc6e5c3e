#!/bin/sh
# Builds the demo's HARDWARE workload: sha256sum.c (the program the demo runs at every level; its wasm32-wasi build
# is committed beside the demo's resources, made by provider-wasm/src/test/c/rebuild.sh) as a static x86-64 Linux
# executable, linked against musl, into the directory given. Called by Maven at generate-resources.
set -eu
out="$1"
dir="$(dirname "$0")"
cc="${CC:-musl-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "isolate-cli: no C compiler '$cc' on PATH; the demo's HARDWARE workload is a static program linked against" \
    "musl: install musl-tools (Debian: apt-get install musl-tools) or set CC" >&2
  exit 1
fi
mkdir -p "$out"
"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -static -s -fmacro-prefix-map="$dir/=" -o "$out/sha256sum.elf.tmp" \
  "$dir/sha256sum.c"
mv "$out/sha256sum.elf.tmp" "$out/sha256sum.elf"
