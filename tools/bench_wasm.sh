#!/bin/sh
# Side-by-side in Node (one thread) of the Go CPU plan built for js/wasm
# (GOEXPERIMENT=simd: SIMD128 kernels; without: scalar) and onnxruntime-web's
# wasm EP on the same network (B0, batch 1, 224x224), in interleaved rounds;
# prints every round and the medians.
#
#   tools/bench_wasm.sh <onnxruntime-web dist folder> [rounds] [model.onnx]
#
# e.g. tools/bench_wasm.sh bench/node_modules/onnxruntime-web/dist 5
# (model.onnx defaults to ../shared/testdata/lowformer/b0/model.onnx).
set -eu
cd "$(dirname "$0")/.."
dist=$(realpath "$1")
rounds=${2:-5}
onnx=$(realpath "${3:-../shared/testdata/lowformer/b0/model.onnx}")
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
exec_js="$(go env GOROOT)/lib/wasm/go_js_wasm_exec"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOOS=js GOARCH=wasm GOEXPERIMENT=simd go test -c -o "$tmp/simd.wasm" ./model
GOOS=js GOARCH=wasm go test -c -o "$tmp/scalar.wasm" ./model
for r in $(seq "$rounds"); do
	for k in simd scalar; do
		(cd model && "$exec_js" "$tmp/$k.wasm" -test.run x -test.bench 'CPUPlan/b0/batch1$' -test.benchtime 5x) |
			awk '/CPUPlan\/b0\/batch1/ {printf "%.2f\n", $3 / 1e6}' >>"$tmp/$k"
	done
	node tools/bench_ort_wasm.mjs "$dist" "$onnx" 224 10 | awk '{print $3}' >>"$tmp/ort"
	echo "round $r: go-wasm-simd $(tail -1 "$tmp/simd") ms, go-wasm-scalar $(tail -1 "$tmp/scalar") ms, ort-web-wasm $(tail -1 "$tmp/ort") ms (load $(cut -d' ' -f1 /proc/loadavg))"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
s=$(median "$tmp/simd"); c=$(median "$tmp/scalar"); o=$(median "$tmp/ort")
echo "median ms: go-wasm-simd $s, go-wasm-scalar $c, ort-web-wasm $o; ratios go-simd/ort $(echo "$s $o" | awk '{printf "%.2f", $1/$2}'), go-scalar/ort $(echo "$c $o" | awk '{printf "%.2f", $1/$2}')"
