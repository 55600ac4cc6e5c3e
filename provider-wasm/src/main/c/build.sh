#!/bin/sh
# build.sh OUT_DIR - builds the PROCESS guest SDK (isolate_guest.h and libisolate-wasm.a, from the repository's
# guest-sdk/) and the example plugins as wasm32-wasi reactor modules into OUT_DIR. Maven runs it at
# generate-resources; the output ships in the jar under META-INF/isolate/guest-sdk-wasm/. Requires clang with the
# wasm32 target, wasm-ld and wasi-libc (set CC to use another clang).
set -eu

OUT=${1:?usage: build.sh OUT_DIR}
SRC=$(cd "$(dirname "$0")/../../../../guest-sdk" && pwd)
CC=${CC:-clang}
AR=${AR:-llvm-ar}

missing() {
  echo "provider-wasm: the guest SDK for PROCESS needs $1, but it was not found." >&2
  echo "provider-wasm: install clang, lld and wasi-libc (Debian/Ubuntu: apt-get install clang lld wasi-libc" \
    "libclang-rt-dev-wasm32, or libclang-rt-14-dev-wasm32 on Debian 12), or point CC and AR at them." >&2
  exit 1
}
command -v "$CC" >/dev/null 2>&1 || missing "a C compiler for wasm32 ('$CC')"
command -v "$AR" >/dev/null 2>&1 || missing "an archiver for wasm objects ('$AR')"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int main(void){return 0;}\n' >"$probe/p.c"
"$CC" --target=wasm32-wasi -o "$probe/p.wasm" "$probe/p.c" 2>"$probe/err" ||
  missing "a working wasm32-wasi toolchain ($(head -c 300 "$probe/err" | tr '\n' ' '))"

CFLAGS="--target=wasm32-wasi -std=c11 -O2 -Wall -Wextra -Werror"

rm -rf "$OUT"
mkdir -p "$OUT/include" "$OUT/lib" "$OUT/examples/src" "$OUT/obj"
cp "$SRC/include/isolate_guest.h" "$OUT/include/"
for f in "$SRC"/wasm/*.c "$SRC"/common/*.c; do
  "$CC" $CFLAGS -I"$SRC/include" -c "$f" -o "$OUT/obj/$(basename "$f" .c).o"
done
"$AR" rcs "$OUT/lib/libisolate-wasm.a" "$OUT"/obj/*.o
rm -rf "$OUT/obj"

# The one documented command that builds a plugin (guest-sdk/README.md); kept identical there.
SDK="$OUT"
plugin_cc() {
  out=$1
  shift
  "$CC" --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-debug -I "$SDK/include" \
    -o "$out" "$@" "$SDK/lib/libisolate-wasm.a"
}

plugin_cc "$OUT/examples/text.wasm" "$SRC/examples/text/text.c"
plugin_cc "$OUT/examples/kv.wasm" "$SRC/examples/kv/kv.c"
cp -r "$SRC/examples/text" "$SRC/examples/kv" "$OUT/examples/src/"

# The Rust crate (guest-sdk/rust/isolate-guest: the C library above behind a safe API) ships as source; the Rust
# text example is built with a rustc that has the wasm32-wasi standard library (Debian: libstd-rust-dev-wasm32;
# rustup: the wasm32-wasip1 target). Without one the example is left out and the build says so (the tests then
# skip it, and fail with CI=true).
mkdir -p "$OUT/rust"
cp -r "$SRC/rust/isolate-guest" "$OUT/rust/"
cp -r "$SRC/examples/text-rust" "$OUT/examples/src/"
printf '\n' >"$probe/empty.rs"
rust=""
for r in ${RUSTC:-} rustc /usr/bin/rustc; do
  command -v "$r" >/dev/null 2>&1 || continue
  for t in wasm32-wasip1 wasm32-wasi; do
    if "$r" --target "$t" --crate-type rlib --crate-name probe "$probe/empty.rs" -o "$probe/probe.rlib" \
        >/dev/null 2>&1; then
      rust="$r"
      target="$t"
      break 2
    fi
  done
done
if [ -n "$rust" ]; then
  "$rust" --edition 2018 --crate-type rlib --crate-name isolate_guest --target "$target" -O \
    "$SRC/rust/isolate-guest/src/lib.rs" -o "$probe/libisolate_guest.rlib"
  "$rust" --edition 2021 --crate-type cdylib --crate-name text_rust --target "$target" -O -C strip=debuginfo \
    --extern isolate_guest="$probe/libisolate_guest.rlib" -L native="$SDK/lib" -l static=isolate-wasm \
    "$SRC/examples/text-rust/src/lib.rs" -o "$OUT/examples/text-rust.wasm"
  echo "provider-wasm: the Rust example plugin built with $("$rust" --version) for $target"
else
  echo "provider-wasm: no rustc with the wasm32-wasi standard library (Debian: apt-get install rustc" \
    "libstd-rust-dev-wasm32): the Rust example plugin is not built" >&2
fi
echo "provider-wasm: guest SDK and example plugins built in $OUT"
