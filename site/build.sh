#!/usr/bin/env bash
# Builds the documentation site and checks that it renders:
#   1. plots (SVG) from the committed JMH results, with io.isolate.benchmarks.Plots, into docs/img/
#   2. mkdocs build --strict into build/ (a broken link or a missing image fails)
#   3. serves build/ on a free localhost port and opens the home and performance pages in headless Chromium:
#      screenshots into build/screenshots/, the DOM checked for the main headings and the plot images, each
#      plot fetched over HTTP (200, an SVG)
# Needs: a JDK, the Debian packages mkdocs, mkdocs-material, chromium and python3, and benchmarks.jar
# (mvn -q -DskipTests install from the root). Overrides, for development: BENCHMARKS_JAR (a jar or a class path),
# BENCHMARK_RESULTS (a JMH JSON file). Exits non-zero with a message on any failure.
set -euo pipefail

SITE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$SITE")"
JAR="${BENCHMARKS_JAR:-$ROOT/benchmarks/target/benchmarks.jar}"
RESULTS="${BENCHMARK_RESULTS:-$ROOT/benchmarks/results/latest.json}"
BUILD="$SITE/build"
SHOTS="$BUILD/screenshots"

fail() {
  echo "site/build.sh: FAILED: $*" >&2
  exit 1
}
trap 'status=$?; [ $status -eq 0 ] || echo "site/build.sh: failed (exit $status) at line $LINENO" >&2' ERR

for tool in java mkdocs python3 chromium; do
  command -v "$tool" >/dev/null || fail "'$tool' is not installed (Debian: apt-get install openjdk-17-jdk-headless mkdocs mkdocs-material chromium python3)"
done

# --- 1. plots -------------------------------------------------------------------------------------------------
IFS=: read -ra jar_parts <<<"$JAR"
for part in "${jar_parts[@]}"; do
  [ -e "$part" ] || fail "$part does not exist: build the benchmarks first (cd $ROOT && mvn -q -DskipTests install)"
done
[ -f "$RESULTS" ] || fail "$RESULTS does not exist: run the benchmarks (benchmarks/run.sh) and commit the JSON as benchmarks/results/latest.json"

echo "== plots from $RESULTS"
mkdir -p "$SITE/docs/img"
rm -f "$SITE/docs/img/"*.svg
java -cp "$JAR" io.isolate.benchmarks.Plots "$RESULTS" "$SITE/docs/img" \
  || fail "io.isolate.benchmarks.Plots could not turn $RESULTS into plots"

# Every plot the performance page shows must have been generated; a generated plot the page does not show is
# probably a new benchmark class that needs a paragraph there.
mapfile -t wanted < <(grep -o '](img/[A-Za-z0-9_]*\.svg)' "$SITE/docs/performance.md" | sed 's/^](img\///; s/)$//' | sort -u)
[ "${#wanted[@]}" -gt 0 ] || fail "docs/performance.md shows no plot (expected lines like ![...](img/WasmStartBenchmark.svg))"
for svg in "${wanted[@]}"; do
  [ -s "$SITE/docs/img/$svg" ] || fail "docs/performance.md shows img/$svg, but $RESULTS has no results for ${svg%.svg}: re-run that benchmark or take the plot off the page"
done
for generated in "$SITE/docs/img/"*.svg; do
  name="$(basename "$generated")"
  printf '%s\n' "${wanted[@]}" | grep -qx "$name" \
    || echo "site/build.sh: warning: $name was generated but docs/performance.md does not show it" >&2
done

# --- 1b. guest SDK downloads ---------------------------------------------------------------------------------
# The guest SDK as each provider's jar ships it (header, library, example plugins and their sources), as archives
# the PROCESS and PARAVIRT pages link to.
echo "== guest SDK downloads"
mkdir -p "$SITE/docs/downloads"
rm -f "$SITE/docs/downloads/"*.tar.gz
for sdk in "provider-wasm:guest-sdk-wasm" "provider-pv:guest-sdk"; do
  module="${sdk%%:*}"
  folder="${sdk##*:}"
  dir="$ROOT/$module/target/classes/META-INF/isolate"
  [ -d "$dir/$folder" ] || fail "$dir/$folder does not exist: build first (cd $ROOT && mvn -q -DskipTests install)"
  tar -czf "$SITE/docs/downloads/isolate-$folder.tar.gz" -C "$dir" "$folder"
done

# --- 2. strict build ------------------------------------------------------------------------------------------
echo "== mkdocs build --strict"
(cd "$SITE" && mkdocs build --strict --clean) \
  || fail "mkdocs build --strict failed (see the WARNING lines above: a broken link or a missing image)"
[ -f "$BUILD/index.html" ] && [ -f "$BUILD/performance/index.html" ] || fail "mkdocs did not produce the home and performance pages"

# --- 3. serve and render --------------------------------------------------------------------------------------
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
PROFILE="$(mktemp -d "${TMPDIR:-/tmp}/isolate-site-chromium.XXXXXX")"
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$BUILD" >"$PROFILE.server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$PROFILE" "$PROFILE.server.log" "$PROFILE.chromium.log"
}
trap cleanup EXIT

for _ in $(seq 1 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('$BASE/', timeout=1)" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || fail "the HTTP server on port $PORT died: $(cat "$PROFILE.server.log")"
  sleep 0.2
done
python3 -c "import urllib.request; urllib.request.urlopen('$BASE/', timeout=2)" 2>/dev/null \
  || fail "the HTTP server on $BASE does not answer"
echo "== serving $BUILD on $BASE"

mkdir -p "$SHOTS"
chrome() {
  # A fresh profile per run; no network besides localhost is needed (the theme's web fonts are off).
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
    --hide-scrollbars --user-data-dir="$PROFILE" "$@" 2>>"$PROFILE.chromium.log"
}

check_page() { # NAME PATH WINDOW_SIZE [render_check.py options...]
  local name="$1" path="$2" size="$3"
  shift 3
  local url="$BASE$path"
  echo "== $url"
  chrome --window-size="$size" --screenshot="$SHOTS/$name.png" "$url" >/dev/null \
    || fail "chromium could not take a screenshot of $url: $(tail -5 "$PROFILE.chromium.log" 2>/dev/null)"
  chrome --window-size="$size" --dump-dom "$url" >"$SHOTS/$name.dom.html" \
    || fail "chromium could not dump the DOM of $url: $(tail -5 "$PROFILE.chromium.log" 2>/dev/null)"
  python3 "$SITE/render_check.py" "$SHOTS/$name.dom.html" "$url" "$SHOTS/$name.png" "$@" \
    || fail "$url does not render as expected (above)"
}

check_page home / 1280,1400 \
  --heading "Isolate" --heading "The four levels" --heading "Honest by design"

plot_args=()
for svg in "${wanted[@]}"; do
  plot_args+=(--plot "$svg")
done
check_page performance /performance/ 1280,2000 \
  --heading "Performance" --heading "Method" --heading "Plots" --heading "Figures" "${plot_args[@]}"

for archive in isolate-guest-sdk-wasm.tar.gz isolate-guest-sdk.tar.gz; do
  python3 -c "import urllib.request, sys; r = urllib.request.urlopen('$BASE/downloads/$archive', timeout=5); \
sys.exit(0 if r.status == 200 and r.read(2) == b'\\x1f\\x8b' else 1)" \
    || fail "$BASE/downloads/$archive is not served as a gzip archive"
done

echo "== site OK: $BUILD (screenshots in $SHOTS)"
