#!/bin/sh
# Compiles the isolate helper into the jar's native resources. Called by Maven (maven-antrun-plugin) at
# generate-resources with the output directory as the only argument.
#
# The helper is linked statically against musl, so that the jar built here runs on any Linux x86-64 host, whatever
# its C library (a dynamic build against this host's glibc would need GLIBC_2.34 and not start on RHEL 8, Ubuntu
# 20.04 or Amazon Linux 2). musl's compiler wrapper does not see the kernel's headers, so they are offered to it
# after musl's own (-idirafter), from a directory of links made in the build's scratch space.
set -eu
out="$1"
dir="$(dirname "$0")"
os="$(uname -s)"
arch="$(uname -m)"
if [ "$os" != "Linux" ] || [ "$arch" != "x86_64" ]; then
  echo "provider-container: the isolate helper builds only on Linux x86-64 (this is $os $arch)" >&2
  exit 1
fi
cc="${CC:-musl-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "provider-container: no C compiler '$cc' on PATH; the helper is linked statically against musl:" \
    "install musl-tools and the kernel headers (Debian: apt-get install musl-tools linux-libc-dev) or set CC" >&2
  exit 1
fi
headers="$out/../../../../helper-kernel-headers"
mkdir -p "$out" "$headers"
for h in linux asm-generic; do
  if [ ! -d "/usr/include/$h" ]; then
    echo "provider-container: /usr/include/$h is missing; install the kernel headers (Debian: linux-libc-dev)" >&2
    exit 1
  fi
  ln -sfn "/usr/include/$h" "$headers/$h"
done
if [ -d /usr/include/x86_64-linux-gnu/asm ]; then
  ln -sfn /usr/include/x86_64-linux-gnu/asm "$headers/asm"
else
  ln -sfn /usr/include/asm "$headers/asm"
fi
"$cc" -std=gnu11 -O2 -Wall -Wextra -Wno-format-truncation -Werror -fstack-protector-strong -static \
  -idirafter "$headers" -fmacro-prefix-map="$dir/=" -o "$out/isolate-helper.tmp" "$dir/isolate-helper.c" \
  "$dir/network.c" "$dir/unpack.c"
mv -f "$out/isolate-helper.tmp" "$out/isolate-helper"
