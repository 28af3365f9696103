#!/usr/bin/env bash
# Builds the self-contained static folder web/dist/: the JS module and its
# worker, lowformer.wasm (GOOS=js GOARCH=wasm, stripped), Go's wasm_exec.js,
# the demo page and the minimal example (example.html). Serve the folder with any static server (make web-demo
# runs one that also sends the COOP/COEP headers).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
out=web/dist
mkdir -p "$out"
GOOS=js GOARCH=wasm "$GO" build -trimpath -ldflags='-s -w' -o "$out/lowformer.wasm" ./wasm
cp "$("$GO" env GOROOT)/lib/wasm/wasm_exec.js" "$out/"
cp web/lowformer.js web/lowformer-worker.js web/index.html web/demo.css web/demo.js web/favicon.svg "$out/"
cp examples/web/index.html "$out/example.html"
raw=$(wc -c <"$out/lowformer.wasm")
gz=$(gzip -9 -c "$out/lowformer.wasm" | wc -c)
awk -v r="$raw" -v g="$gz" -v o="$out" 'BEGIN { printf "web: built %s/ — lowformer.wasm %d bytes (%.2f MiB) raw, %d bytes (%.2f MiB) gzip -9\n", o, r, r/1048576, g, g/1048576 }'
