#!/bin/sh
# build.sh LUA_SRC_DIR OUT.wasm - builds the Lua 5.4 interpreter for wasm32-wasi, as committed in
# src/main/resources/fixtures/lua.wasm (from Lua 5.4.4, Debian's lua5.4_5.4.4.orig.tar.gz; LICENSE.lua here).
# Needs clang, lld and wasi-libc. This wasi-libc has no setjmp: a Lua error aborts the program (the benchmark's
# script raises none); tmpfile, system and tmpnam answer failures.
set -eu
SRC=${1:?usage: build.sh LUA_SRC_DIR OUT.wasm}/src
OUT=${2:?usage: build.sh LUA_SRC_DIR OUT.wasm}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/stub"
echo "/* no setjmp in wasi-libc: see wasi_compat.h */" >"$WORK/stub/setjmp.h"
cat >"$WORK/wasi_compat.h" <<'H'
#define LUAI_THROW(L,c) abort()
#define LUAI_TRY(L,c,a) { a }
#define luai_jmpbuf int
H
cat >"$WORK/stubs.c" <<'C'
#include <errno.h>
#include <stdio.h>
FILE *tmpfile(void) { errno = ENOSYS; return 0; }
int system(const char *c) { (void)c; return -1; }
C
files=$(ls "$SRC"/*.c | grep -v '/luac\.c$')
clang --target=wasm32-wasi -O2 -I"$WORK/stub" -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
  -DLUA_COMPAT_5_3 -DLUA_TMPNAMBUFSIZE=32 '-Dlua_tmpnam(b,e)={e=1;}' -include "$WORK/wasi_compat.h" \
  -include stdlib.h -Wl,--strip-debug -o "$OUT" $files "$WORK/stubs.c" \
  -lwasi-emulated-signal -lwasi-emulated-process-clocks
