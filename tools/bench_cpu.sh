#!/bin/sh
# Side-by-side of the Go CPU plan (simd and scalar kernels) and PyTorch on
# the CPU, B0 batch 1 at 224x224 on the same number of threads, in
# interleaved rounds; prints every round and the medians.
#
#   tools/bench_cpu.sh [rounds] [threads]    (defaults 5 and 2)
#
# Needs go1.27.3 (GOTOOLCHAIN) and /usr/bin/python3 with torch.
set -eu
rounds=${1:-5}
threads=${2:-2}
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOEXPERIMENT=simd go test -c -o "$tmp/simd.test" ./model
go test -c -o "$tmp/scalar.test" ./model
ms() { # ns/op of the b0/batch1 line of a Go benchmark, in ms
	awk '/CPUPlan\/b0\/batch1/ {printf "%.2f\n", $3 / 1e6}'
}
for r in $(seq "$rounds"); do
	for k in simd scalar; do
		(cd model && GOMAXPROCS=$threads "$tmp/$k.test" -test.run x -test.bench 'CPUPlan/b0/batch1$' -test.benchtime 10x) | ms >>"$tmp/$k"
	done
	(cd tools && /usr/bin/python3 bench_cpu_torch.py b0 1 224 "$threads" 10) | awk '{print $4}' >>"$tmp/torch"
	echo "round $r: go-simd $(tail -1 "$tmp/simd") ms, go-scalar $(tail -1 "$tmp/scalar") ms, torch $(tail -1 "$tmp/torch") ms (load $(cut -d' ' -f1 /proc/loadavg))"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
s=$(median "$tmp/simd"); c=$(median "$tmp/scalar"); t=$(median "$tmp/torch")
echo "median ms: go-simd $s, go-scalar $c, torch $t; ratio go-simd/torch $(echo "$s $t" | awk '{printf "%.2f", $1/$2}'), go-scalar/torch $(echo "$c $t" | awk '{printf "%.2f", $1/$2}')"
