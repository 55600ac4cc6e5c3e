#!/bin/sh
# Rebuilds the benchmark fixtures (committed, so the build needs no clang). hello.wasm is the PROCESS level's
# test fixture, copied so that the benchmark jar is self-contained.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../resources/fixtures"
mkdir -p "$out"
clang --target=wasm32-wasi --sysroot=/usr -O2 -nostdlib -Wl,--no-entry -Wl,--strip-debug -o "$out/add.wasm" "$here/add.c"
cp "$here/../../../../provider-wasm/src/test/resources/wasm/hello.wasm" "$out/hello.wasm"
