#!/bin/sh
# build-guests.sh OUT_DIR CLASSPATH - builds the PARAVIRT benchmark guests (src/main/c/pv/*.c) with the guest SDK's
# one documented gcc command (provider-pv/README.md, "Building a guest"). The SDK is taken from the first
# CLASSPATH entry (colon-separated; the benchmarks pom passes its compile classpath) that holds
# META-INF/isolate/guest-sdk: provider-pv's jar, or its classes folder in a reactor build. The images ship in the
# benchmark jar under /fixtures/pv/. Set CC to use another compiler.
set -eu
OUT=${1:?usage: build-guests.sh OUT_DIR CLASSPATH}
CLASSPATH_LIST=${2:?usage: build-guests.sh OUT_DIR CLASSPATH}
SRC=$(cd "$(dirname "$0")" && pwd)/pv
CC=${CC:-gcc}
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "benchmarks: the PARAVIRT guests need gcc for x86-64 (Debian/Ubuntu: apt-get install gcc)." >&2
  exit 1
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SDK=
OLDIFS=$IFS
IFS=:
for entry in $CLASSPATH_LIST; do
  if [ -f "$entry/META-INF/isolate/guest-sdk/lib/libisolate.a" ]; then
    SDK=$entry/META-INF/isolate/guest-sdk
  elif [ -f "$entry" ] && case "$entry" in *provider-pv*.jar) true ;; *) false ;; esac; then
    (cd "$TMP" && jar xf "$entry" META-INF/isolate/guest-sdk/include META-INF/isolate/guest-sdk/lib)
    [ -f "$TMP/META-INF/isolate/guest-sdk/lib/libisolate.a" ] && SDK=$TMP/META-INF/isolate/guest-sdk
  fi
  [ -n "$SDK" ] && break
done
IFS=$OLDIFS
if [ -z "$SDK" ]; then
  echo "benchmarks: no guest SDK (META-INF/isolate/guest-sdk) on the classpath; build provider-pv first." >&2
  exit 1
fi
for f in "$SRC"/*.c; do
  "$CC" -std=c11 -O2 -ffreestanding -nostdlib -static -no-pie -fno-pie -fno-stack-protector \
    -fno-asynchronous-unwind-tables -I "$SDK/include" -T "$SDK/lib/isolate.ld" \
    -o "$OUT/$(basename "$f" .c).elf" "$f" "$SDK/lib/libisolate.a" -lgcc
done
echo "benchmarks: PARAVIRT guests built in $OUT"
