#!/bin/sh
# build.sh OUT_DIR - builds the PARAVIRT guest SDK (headers, libisolate.a, linker script; sources in the
# repository's guest-sdk/) and the example guest images into OUT_DIR. Maven runs it at generate-resources; the output ships in the jar under
# META-INF/isolate/guest-sdk/. Requires gcc for x86-64 (set CC to use another compiler).
set -eu

OUT=${1:?usage: build.sh OUT_DIR}
SRC=$(cd "$(dirname "$0")" && pwd)
SDK_SRC=$(cd "$SRC/../../../../guest-sdk" && pwd)
CC=${CC:-gcc}

if ! command -v "$CC" >/dev/null 2>&1; then
  echo "provider-pv: the guest SDK needs a C compiler for x86-64, but '$CC' was not found." >&2
  echo "provider-pv: install gcc (Debian/Ubuntu: apt-get install gcc) or point CC at one." >&2
  exit 1
fi
case "$("$CC" -dumpmachine 2>/dev/null)" in
  x86_64-*) ;;
  *)
    echo "provider-pv: '$CC' targets '$("$CC" -dumpmachine 2>/dev/null)'; the guest SDK needs an x86_64 compiler." >&2
    exit 1
    ;;
esac

SDK_CFLAGS="-std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-pie -fno-stack-protector \
  -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns"

rm -rf "$OUT"
mkdir -p "$OUT/include" "$OUT/lib" "$OUT/examples" "$OUT/obj"
cp "$SDK_SRC/include/isolate_guest.h" "$OUT/include/"
cp "$SDK_SRC/paravirt/isolate.ld" "$OUT/lib/"

for f in "$SDK_SRC"/paravirt/*.c "$SDK_SRC"/common/*.c; do
  "$CC" $SDK_CFLAGS -I"$SDK_SRC/include" -c "$f" -o "$OUT/obj/$(basename "$f" .c).o"
done
"$CC" -c "$SDK_SRC/paravirt/entry.S" -o "$OUT/obj/entry.o"
rm -f "$OUT/lib/libisolate.a"
ar rcs "$OUT/lib/libisolate.a" "$OUT"/obj/*.o
rm -rf "$OUT/obj"

# The one documented command that builds a guest (README.md, "Building a guest"); kept identical there.
SDK="$OUT"
guest_cc() {
  out=$1
  shift
  "$CC" -std=c11 -O2 -ffreestanding -nostdlib -static -no-pie -fno-pie -fno-stack-protector \
    -fno-asynchronous-unwind-tables -I "$SDK/include" -T "$SDK/lib/isolate.ld" \
    -o "$out" "$@" "$SDK/lib/libisolate.a" -lgcc
}

guest_cc "$OUT/examples/echo.elf" "$SRC/examples/echo/echo.c"
guest_cc "$OUT/examples/sha256.elf" "$SRC/examples/sha256/main.c" "$SRC/examples/sha256/sha256.c"
guest_cc "$OUT/examples/stream.elf" "$SRC/examples/stream/stream.c"
guest_cc "$OUT/examples/wc.elf" "$SRC/examples/wc/wc.c"
# the plugins whose same source also builds for PROCESS (guest-sdk/examples)
guest_cc "$OUT/examples/text.elf" "$SDK_SRC/examples/text/text.c"
guest_cc "$OUT/examples/kv.elf" "$SDK_SRC/examples/kv/kv.c"

mkdir -p "$OUT/examples/src"
cp -r "$SRC/examples/echo" "$SRC/examples/sha256" "$SRC/examples/stream" "$SRC/examples/wc" \
  "$SDK_SRC/examples/text" "$SDK_SRC/examples/kv" "$OUT/examples/src/"
echo "provider-pv: guest SDK and examples built in $OUT"
