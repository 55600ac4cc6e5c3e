#!/bin/sh
# Compiles the isolate helper into the jar's native resources. Called by Maven (exec-maven-plugin) at
# generate-resources with the output directory as the only argument.
set -eu
out="$1"
dir="$(dirname "$0")"
os="$(uname -s)"
arch="$(uname -m)"
if [ "$os" != "Linux" ] || [ "$arch" != "x86_64" ]; then
  echo "provider-container: the isolate helper builds only on Linux x86-64 (this is $os $arch)" >&2
  exit 1
fi
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "provider-container: no C compiler '$cc' on PATH; install gcc (Debian: apt-get install gcc libc6-dev) or set CC" >&2
  exit 1
fi
mkdir -p "$out"
"$cc" -std=gnu11 -O2 -Wall -Wextra -Wno-format-truncation -Werror -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
  -fmacro-prefix-map="$dir/=" -o "$out/isolate-helper.tmp" "$dir/isolate-helper.c" "$dir/unpack.c"
mv -f "$out/isolate-helper.tmp" "$out/isolate-helper"
