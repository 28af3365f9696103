#!/bin/sh
# Side-by-side of the Go CPU plan (simd and scalar kernels) and PyTorch
# (eager, and traced + frozen with optimize_for_inference) on
# the CPU, B0 batch 1 at 224x224 on the same number of threads, in
# interleaved rounds; prints every round and the medians.
#
#   tools/bench_cpu.sh [rounds] [threads]    (defaults 5 and 2)
#
# Both sides use the weights of ../shared/testdata/lowformer/b0/evalmodel.pt
# when it is there (else synthetic and random ones). Needs go1.27.3
# (GOTOOLCHAIN) and /usr/bin/python3 with torch.
set -eu
rounds=${1:-5}
threads=${2:-2}
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOEXPERIMENT=simd go test -c -o "$tmp/simd.test" ./model
go test -c -o "$tmp/scalar.test" ./model
ckpt=$(realpath ../shared/testdata/lowformer/b0/evalmodel.pt 2>/dev/null || true)
which=b0
if [ -f "$ckpt" ]; then
	which=b0-ref # the reference checkpoint on both sides
fi
ms() { # ns/op of the benchmark line, in ms
	awk '/CPUPlan\// {printf "%.2f\n", $3 / 1e6}'
}
for r in $(seq "$rounds"); do
	for k in simd scalar; do
		(cd model && GOMAXPROCS=$threads "$tmp/$k.test" -test.run x -test.bench "CPUPlan/$which/batch1\$" -test.benchtime 10x) | ms >>"$tmp/$k"
	done
	(cd tools && /usr/bin/python3 bench_cpu_torch.py b0 1 224 "$threads" 10 $ckpt) >"$tmp/round"
	awk '$1 == "torch-eager" {print $4}' "$tmp/round" >>"$tmp/torch"
	awk '$1 == "torch-frozen" {print $4}' "$tmp/round" >>"$tmp/frozen"
	echo "round $r: go-simd $(tail -1 "$tmp/simd") ms, go-scalar $(tail -1 "$tmp/scalar") ms, torch eager $(tail -1 "$tmp/torch") ms, torch frozen $(tail -1 "$tmp/frozen") ms (load $(cut -d' ' -f1 /proc/loadavg))"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
s=$(median "$tmp/simd"); c=$(median "$tmp/scalar"); t=$(median "$tmp/torch"); f=$(median "$tmp/frozen")
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1/$2}'; }
echo "median ms: go-simd $s, go-scalar $c, torch eager $t, torch frozen $f"
echo "ratios: go-simd/torch-eager $(ratio "$s" "$t"), go-simd/torch-frozen $(ratio "$s" "$f"), go-scalar/torch-eager $(ratio "$c" "$t"), go-scalar/torch-frozen $(ratio "$c" "$f")"
