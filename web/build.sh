#!/usr/bin/env bash
# Builds the self-contained static folder web/dist/, which is also the npm
# package lowformer-webgpu's folder (make package): the JS module, its types,
# its Node entry and its worker, three builds of the Go code (GOOS=js
# GOARCH=wasm, stripped, their data segments merged by web/wasmpack), one
# per backend so that a browser downloads only the code it runs —
# lowformer.wasm, the WebGPU build (-tags lowformer_nocpu: no CPU kernels;
# without wasm SIMD, which only the CPU kernels use), lowformer-cpu.wasm,
# the CPU build (-tags lowformer_nogpu: no WebGPU code) with
# GOEXPERIMENT=simd (wasm SIMD128 where the Go code uses the simd
# packages), and lowformer-scalar.wasm, the CPU build without it, for
# browsers without wasm SIMD (lowformer.js picks one at run time) — the decoder of
# the rarer image formats, lowformer-decoders.wasm (GIF, WebP, BMP, TIFF:
# lowformer.wasm decodes JPEG and PNG only, and lowformer.js fetches this
# module the first time another format arrives), Go's wasm_exec.js,
# the demo page and the minimal example (example.html), and each .wasm
# precompressed (.wasm.gz, .wasm.br). Serve the folder with any static
# server (make demo runs one that also sends the COOP/COEP headers and
# serves the precompressed .wasm to browsers that accept it).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
GO=${GO:-go}
out=web/dist
mkdir -p "$out"
# The Go 1.27 wasm backend emits SIMD128 for the simd/archsimd operations
# under GOEXPERIMENT=simd alone (GOWASM knows only satconv and signext,
# both always on).
#
# Both builds patch two files of a dependency, github.com/cogentcore/webgpu:
# jsx/jsx.go, whose one log/slog call keeps encoding/json's engine in the
# wasm (~0.4 MB of gzip), and wgpu/instance_js.go, whose two log.Println
# calls keep package log (~8 KB of gzip). They build
# against a temporary copy of the module's Go sources (jsx and wgpu, not
# the native libraries) with web/overlay/<file>.overlay in place of each,
# through a temporary go.mod that replaces the module by the copy (go build
# -modfile); the checkout's go.mod is not touched. Each original is checked
# against the hash of the file its overlay was made from, so that a new
# webgpu version fails here until the overlays are redone;
# LOWFORMER_WASM_OVERLAY=0 builds without them.
mod_args=()
if [ "${LOWFORMER_WASM_OVERLAY:-1}" != 0 ]; then
  src=$(GOOS=js GOARCH=wasm "$GO" list -m -f '{{.Dir}}' github.com/cogentcore/webgpu)
  overlays=( # file in the module, sha256 of the original (webgpu v0.23.0)
    jsx/jsx.go fd91edbd10b997d945bd6691799f86701488222078742b748dbcdcb9fefb1fd1
    wgpu/instance_js.go fb49817e6d9eb813f7e6a8772026edccb2a8e5eeff289f13e4cfb9377375f8b9
  )
  for ((i = 0; i < ${#overlays[@]}; i += 2)); do
    f=${overlays[i]}
    if [ "$(sha256sum "$src/$f" | cut -d' ' -f1)" != "${overlays[i+1]}" ]; then
      echo "web: $src/$f is not the file web/overlay/$(basename "$f").overlay replaces (a new github.com/cogentcore/webgpu?): redo the overlay from it and update the hash in web/build.sh, or build with LOWFORMER_WASM_OVERLAY=0" >&2
      exit 1
    fi
  done
  tmp=$(mktemp -d)
  trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/webgpu/jsx" "$tmp/webgpu/wgpu"
  cp "$src/go.mod" "$src/LICENSE" "$tmp/webgpu/"
  cp "$src"/wgpu/*.go "$tmp/webgpu/wgpu/"
  for ((i = 0; i < ${#overlays[@]}; i += 2)); do
    cp "web/overlay/$(basename "${overlays[i]}").overlay" "$tmp/webgpu/${overlays[i]}"
  done
  chmod -R u+w "$tmp"
  cp go.mod "$tmp/go.mod"
  cp go.sum "$tmp/go.sum"
  "$GO" mod edit -modfile="$tmp/go.mod" -replace "github.com/cogentcore/webgpu=$tmp/webgpu"
  mod_args=(-modfile="$tmp/go.mod")
fi
# No inlining in the packages that are not on a hot path in the browser
# (formatting, reflection, the JS glue, WebGPU's bindings, shader rendering,
# the rarer image formats): about 80 KB less gzip for both builds; the
# checkpoint readers, the tuning tables, the labels, the bridge (wasm) and
# the encoding/log packages another 16.6 KB for lowformer.wasm. The CPU
# kernels, the model, preprocessing, the JPEG/PNG decoders, the runtime and
# the simd packages keep it (with -gcflags=all=-l the CPU path is 20x slower).
# LOWFORMER_WASM_INLINE=all builds with inlining everywhere.
gcflags=()
if [ "${LOWFORMER_WASM_INLINE:-}" != all ]; then
  m=github.com/lowformer/lowformer-webgpu
  for p in fmt internal/fmtsort reflect internal/reflectlite strconv internal/strconv time os syscall/js \
    github.com/hack-pad/... github.com/cogentcore/... golang.org/x/image/... image/gif \
    $m/shaders $m/kernels $m/gpu \
    $m/wasm $m/model/checkpoint $m/internal/zipread $m/internal/jsonlite $m/tuning $m/labels \
    hash/fnv sort path/filepath log/... encoding/...; do
    gcflags+=("-gcflags=$p=-l")
  done
fi
# go build leaves an output file whose build ID matches alone, and wasmpack
# keeps the ID: a packed file would stay as it is (stripped or not).
rm -f "$out"/*.wasm
GOOS=js GOARCH=wasm GOEXPERIMENT= "$GO" build "${mod_args[@]}" "${gcflags[@]}" -tags lowformer_nocpu -trimpath -ldflags='-s -w' -o "$out/lowformer.wasm" ./wasm
GOOS=js GOARCH=wasm GOEXPERIMENT=simd "$GO" build "${mod_args[@]}" "${gcflags[@]}" -tags lowformer_nogpu -trimpath -ldflags='-s -w' -o "$out/lowformer-cpu.wasm" ./wasm
GOOS=js GOARCH=wasm GOEXPERIMENT= "$GO" build "${mod_args[@]}" "${gcflags[@]}" -tags lowformer_nogpu -trimpath -ldflags='-s -w' -o "$out/lowformer-scalar.wasm" ./wasm
# GIF (first frame), WebP, BMP and TIFF: preprocess decodes them in GOOS=js
# only with the lowformer_allformats tag, which lowformer.wasm is built
# without (~0.13 MB less gzip); wasm/decoders is built with it, without
# wasm SIMD so that one build loads everywhere.
GOOS=js GOARCH=wasm GOEXPERIMENT= "$GO" build "${gcflags[@]}" -tags lowformer_allformats -trimpath -ldflags='-s -w' -o "$out/lowformer-decoders.wasm" ./wasm/decoders
wasms=(lowformer.wasm lowformer-cpu.wasm lowformer-scalar.wasm lowformer-decoders.wasm)
# Go's linker starts a new data segment after every run of 8 zero bytes
# (~83 000 segments): each segment's header compresses far worse than the
# zeros it skips. wasmpack (web/wasmpack) merges the segments at most 4 KiB
# apart, the gaps written out as zeros (the same memory at start): ~0.8 MB
# more raw, ~0.14 MB less gzip and ~0.1 MB less brotli for each build.
# LOWFORMER_WASM_PACK=0 leaves the linker's segments.
# It also zeroes the Go runtime's pc→line and pc→file tables (wasmpack
# -strip-lines): −124 KB gzip, −109 KB brotli for lowformer.wasm, but a
# panic's traceback shows ?:0 instead of file:line (function names stay);
# LOWFORMER_WASM_STRIP_LINES=0 keeps them (a debug build: web/README.md).
if [ "${LOWFORMER_WASM_PACK:-1}" != 0 ]; then
  pack_args=()
  if [ "${LOWFORMER_WASM_STRIP_LINES:-1}" != 0 ]; then
    pack_args=(-strip-lines)
  fi
  "$GO" run ./web/wasmpack "${pack_args[@]}" "${wasms[@]/#/$out/}"
fi
# The WebGPU build, the scalar build and the decoders must load where wasm
# SIMD is missing: not one SIMD instruction (checked where Debian's wabt is
# installed).
for f in lowformer.wasm lowformer-scalar.wasm lowformer-decoders.wasm; do
  if command -v wasm-validate >/dev/null && ! wasm-validate --disable-simd "$out/$f"; then
    echo "web: $out/$f uses wasm SIMD (wasm-validate --disable-simd fails): a simd import without a scalar twin?" >&2
    exit 1
  fi
done
# Go's wasm_exec.js, unchanged: lowformer.js imports it as an ES module (it
# only defines globalThis.Go), and it must be the one of the Go that built
# the .wasm files. Go's license (BSD) goes with it and with the binaries.
cp "$("$GO" env GOROOT)/lib/wasm/wasm_exec.js" "$out/"
cp "$("$GO" env GOROOT)/LICENSE" "$out/LICENSE-go"
cp web/lowformer.js web/lowformer-tuning.js web/lowformer-worker.js web/lowformer-node.js web/lowformer.d.ts web/index.html web/demo.css web/demo.js web/favicon.svg "$out/"
# web/dist is also the npm package's folder (make package; npm pack in it):
# web/package/package.json's "files" picks the package's files from it.
cp web/package/package.json web/README.md "$out/"
cp LICENSE "$out/LICENSE"
cp examples/web/index.html "$out/example.html"
# Precompressed twins for servers that send them to browsers that accept
# them (web/devserver does): .wasm.gz (gzip -9) and .wasm.br (brotli
# quality $BROTLI_QUALITY, default 11, window 2^24; Debian's brotli when
# installed, else Node's zlib). The wasm files compress at once.
quality=${BROTLI_QUALITY:-11}
brotli_file() {
  if command -v brotli >/dev/null; then
    brotli -q "$quality" -w 24 -f -o "$1.br" "$1"
  else
    node -e '
      const z = require("zlib"), fs = require("fs");
      const [f, q] = process.argv.slice(1), b = fs.readFileSync(f);
      fs.writeFileSync(f + ".br", z.brotliCompressSync(b, { params: {
        [z.constants.BROTLI_PARAM_QUALITY]: +q, [z.constants.BROTLI_PARAM_LGWIN]: 24,
        [z.constants.BROTLI_PARAM_SIZE_HINT]: b.length } }));' "$1" "$quality"
  fi
}
pids=()
for f in "${wasms[@]}"; do
  gzip -9 -n -c "$out/$f" >"$out/$f.gz"
  brotli_file "$out/$f" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for f in "${wasms[@]}"; do
  raw=$(wc -c <"$out/$f")
  gz=$(wc -c <"$out/$f.gz")
  br=$(wc -c <"$out/$f.br")
  simd='? (apt-get install wabt to count them)'
  if command -v wasm-objdump >/dev/null; then
    simd=$(wasm-objdump -d "$out/$f" | grep -cE '\b(v128|[if](8x16|16x8|32x4|64x2))\.' || true)
  fi
  awk -v f="$f" -v r="$raw" -v g="$gz" -v b="$br" -v q="$quality" -v o="$out" -v s="$simd" 'BEGIN { printf "web: %s/%s %d bytes (%.2f MiB) raw, %d bytes (%.2f MiB) gzip -9, %d bytes (%.2f MiB) brotli -q %s; SIMD instructions: %s\n", o, f, r, r/1048576, g, g/1048576, b, b/1048576, q, s }'
done
# The download budget (issue 16): each main build at most
# $LOWFORMER_WASM_GZIP_BUDGET bytes of gzip -9 (default 1 500 000; the
# decoders, fetched for rare formats only, are not counted). Checked on the
# default build only (the debug knobs above make bigger files on purpose);
# LOWFORMER_WASM_GZIP_BUDGET=0 turns it off.
budget=${LOWFORMER_WASM_GZIP_BUDGET:-1500000}
if [ "$budget" != 0 ] && [ -z "${LOWFORMER_WASM_INLINE:-}${LOWFORMER_WASM_OVERLAY:-}${LOWFORMER_WASM_PACK:-}${LOWFORMER_WASM_STRIP_LINES:-}" ]; then
  for f in lowformer.wasm lowformer-cpu.wasm lowformer-scalar.wasm; do
    gz=$(wc -c <"$out/$f.gz")
    if [ "$gz" -gt "$budget" ]; then
      echo "web: $out/$f is $gz bytes gzip -9, over the budget of $budget (web/README.md, \"Download size\"): find what grew (go tool nm -size -sort size), or raise LOWFORMER_WASM_GZIP_BUDGET knowingly" >&2
      exit 1
    fi
  done
  echo "web: every main build within the gzip budget of $budget bytes"
fi
