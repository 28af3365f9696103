package cpukernels

import (
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/cputime"

	"github.com/lowformer/lowformer-webgpu/act"
)

// BenchmarkKernels times every kernel family on the shapes of
// LowFormer-B0 at batch 1 and 224×224 input (the B0 tables of
// kernels_test.go), as family/shape, with the hswish epilogue and no
// residual, and reports GFLOP/s where the FLOPs are meaningful (Winograd
// counts the direct convolution's), and the same per second of the
// process's CPU time (cpu-GFLOP/s, internal/cputime: natively and in Node;
// on a loaded machine the steadier number, natively with several workers
// their CPU time together). With and without GOEXPERIMENT=simd it
// times the vector and the scalar kernels. Give each -cpu value its own
// process: the worker pool keeps the GOMAXPROCS of its first use, so the
// later values of a -cpu list run that many workers on fewer threads.
//
//	GOEXPERIMENT=simd go test -run x -bench Kernels -benchtime 20x ./internal/cpukernels
//	GOEXPERIMENT=simd go test -run x -bench Kernels/gemm ./internal/cpukernels
//
// In wasm, in Node (--no-liftoff: every function compiled by V8's
// optimizing compiler up front, as the browser's tier-up does for the hot
// ones after the first runs):
//
//	GOOS=js GOARCH=wasm GOEXPERIMENT=simd go test -c -o /tmp/k.wasm ./internal/cpukernels
//	node --no-liftoff --stack-size=8192 $(go env GOROOT)/lib/wasm/wasm_exec_node.js /tmp/k.wasm -test.run x -test.bench Kernels -test.benchtime 20x
func BenchmarkKernels(b *testing.B) {
	type named struct {
		name string
		bind func() bound
	}
	var all []named
	add := func(family, name string, bind func() bound) { all = append(all, named{family + "/" + name, bind}) }
	for _, c := range gemmB0 {
		add(c.family, c.name, func() bound { return c.c.bind(act.HSwish, false) })
	}
	for _, c := range convB0 {
		add(c.family, c.name, func() bound { return c.c.conv(act.HSwish, false) })
	}
	for _, c := range winogradB0 {
		add(c.family, c.name, func() bound { return c.c.winograd(act.HSwish, false) })
	}
	for _, c := range depthwiseB0 {
		add(c.family, c.name, func() bound { return c.c.depthwise(act.HSwish, false) })
	}
	for _, c := range convTB0 {
		add(c.family, c.name, func() bound { return c.c.bind(false) })
	}
	for _, c := range attentionB0 {
		add(c.family, c.name, c.c.bind)
	}
	for _, c := range normB0 {
		add(c.family, c.name, func() bound { return c.c.bind(c.family, act.HSwish) })
	}
	for _, c := range all {
		b.Run(c.name, func(b *testing.B) {
			k := c.bind()
			k.run() // first run: scratch and pool warm-up
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, cpuOK := cputime.Process()
			for b.Loop() {
				k.run()
			}
			cpu1, _ := cputime.Process()
			if cpuOK {
				b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			}
			if k.flops > 0 {
				b.ReportMetric(k.flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if cpuOK && cpu1 > cpu0 {
					b.ReportMetric(k.flops*float64(b.N)/(cpu1-cpu0).Seconds()/1e9, "cpu-GFLOP/s")
				}
			}
		})
	}
}
