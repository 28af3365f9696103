#!/usr/bin/env bash
# Builds the self-contained static folder web/dist/, which is also the npm
# package lowformer-webgpu's folder (make package): the JS module, its types,
# its Node entry and its worker, two builds of the Go code (GOOS=js GOARCH=wasm, stripped) —
# lowformer.wasm with GOEXPERIMENT=simd (wasm SIMD128 where the Go code uses
# the simd packages) and lowformer-scalar.wasm without it, for browsers
# without wasm SIMD (lowformer.js picks one at run time) — Go's wasm_exec.js,
# the demo page and the minimal example (example.html). Serve the folder with
# any static server (make web-demo runs one that also sends the COOP/COEP
# headers).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
GO=${GO:-go}
out=web/dist
mkdir -p "$out"
# The Go 1.27 wasm backend emits SIMD128 for the simd/archsimd operations
# under GOEXPERIMENT=simd alone (GOWASM knows only satconv and signext,
# both always on).
GOOS=js GOARCH=wasm GOEXPERIMENT=simd "$GO" build -trimpath -ldflags='-s -w' -o "$out/lowformer.wasm" ./wasm
GOOS=js GOARCH=wasm GOEXPERIMENT= "$GO" build -trimpath -ldflags='-s -w' -o "$out/lowformer-scalar.wasm" ./wasm
# The scalar build must load where wasm SIMD is missing: not one SIMD
# instruction (checked where Debian's wabt is installed).
if command -v wasm-validate >/dev/null && ! wasm-validate --disable-simd "$out/lowformer-scalar.wasm"; then
  echo "web: $out/lowformer-scalar.wasm uses wasm SIMD (wasm-validate --disable-simd fails): a simd import without a scalar twin?" >&2
  exit 1
fi
# Go's wasm_exec.js, unchanged: lowformer.js imports it as an ES module (it
# only defines globalThis.Go), and it must be the one of the Go that built
# the .wasm files. Go's license (BSD) goes with it and with the binaries.
cp "$("$GO" env GOROOT)/lib/wasm/wasm_exec.js" "$out/"
cp "$("$GO" env GOROOT)/LICENSE" "$out/LICENSE-go"
cp web/lowformer.js web/lowformer-worker.js web/lowformer-node.js web/lowformer.d.ts web/index.html web/demo.css web/demo.js web/favicon.svg "$out/"
# web/dist is also the npm package's folder (make package; npm pack in it):
# web/package/package.json's "files" picks the package's files from it.
cp web/package/package.json web/README.md "$out/"
cp LICENSE "$out/LICENSE"
cp examples/web/index.html "$out/example.html"
for f in lowformer.wasm lowformer-scalar.wasm; do
  raw=$(wc -c <"$out/$f")
  gz=$(gzip -9 -c "$out/$f" | wc -c)
  simd='? (apt-get install wabt to count them)'
  if command -v wasm-objdump >/dev/null; then
    simd=$(wasm-objdump -d "$out/$f" | grep -cE '\b(v128|[if](8x16|16x8|32x4|64x2))\.' || true)
  fi
  awk -v f="$f" -v r="$raw" -v g="$gz" -v o="$out" -v s="$simd" 'BEGIN { printf "web: %s/%s %d bytes (%.2f MiB) raw, %d bytes (%.2f MiB) gzip -9; SIMD instructions: %s\n", o, f, r, r/1048576, g, g/1048576, s }'
done
