#!/bin/sh
# Rebuilds the plugin host example's plugins (committed, so the build needs no clang). Needs the Debian packages
# clang, lld, wasi-libc and libclang-rt-14-dev-wasm32.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../resources/io/isolate/examples/plugins"
mkdir -p "$out"
for name in upper spinner crasher flooder hoarder; do
  clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-debug -Wl,--allow-undefined -o "$out/$name.wasm" "$here/$name.c"
done
ls -l "$out"
