#!/bin/sh
# Rebuilds the benchmark fixtures (committed, so the build needs no clang). hello.wasm is the PROCESS level's
# test fixture, copied so that the benchmark jar is self-contained; so are sqlite3.wasm and minigzip.wasm,
# provider-wasm's real-program fixtures (recipes in provider-wasm/src/test/c/real/README.md; zlib's licence in
# zlib/LICENSE.zlib, SQLite is public domain).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../resources/fixtures"
mkdir -p "$out"
clang --target=wasm32-wasi --sysroot=/usr -O2 -nostdlib -Wl,--no-entry -Wl,--strip-debug -o "$out/add.wasm" "$here/add.c"
cp "$here/../../../../provider-wasm/src/test/resources/wasm/hello.wasm" "$out/hello.wasm"
real="$here/../../../../provider-wasm/src/test/resources/wasm/real"
cp "$real/sqlite3.wasm" "$out/sqlite3.wasm"
cp "$real/minigzip.wasm" "$out/minigzip.wasm"
