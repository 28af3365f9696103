//go:build js || cgo

package kernels

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// depthwiseCase is a Depthwise conformance case: a k×k depthwise
// convolution of an [n,h,w,c] input.
type depthwiseCase struct {
	n, h, w, c, k, stride int
	e                     Epilogue
	ty, tx, wg            int // 0: as chosen
}

func (s depthwiseCase) kernel() Depthwise {
	k := ChooseDepthwise(s.n, s.h, s.w, s.c, s.k, s.stride, s.e)
	if s.tx != 0 {
		k.TY, k.TX = s.ty, s.tx
	}
	if s.wg != 0 {
		k.WG = s.wg
	}
	return k
}

// depthwiseShapes are LowFormer's depthwise convolutions that
// BenchmarkDepthwise times and TestDepthwise checks.
var depthwiseShapes = []depthwiseCase{
	{1, 7, 7, 1024, 3, 1, Epilogue{Act: hs}, 0, 0, 0},
	{1, 14, 14, 128, 5, 2, Epilogue{Act: hs}, 0, 0, 0},
	{1, 7, 7, 256, 3, 1, Epilogue{Act: hs}, 0, 0, 0},
	{1, 14, 14, 512, 3, 1, Epilogue{Act: hs}, 0, 0, 0},
}

// depthwiseCases are the conformance cases: edge cases of the blocks, the
// grid and the epilogue, then depthwiseShapes.
var depthwiseCases = append([]depthwiseCase{
	{1, 1, 1, 4, 3, 1, Epilogue{none, false}, 0, 0, 0},
	{1, 7, 7, 256, 3, 1, Epilogue{none, true}, 0, 0, 0},
	{1, 14, 14, 128, 5, 2, Epilogue{none, false}, 0, 0, 0},
	{1, 14, 14, 512, 3, 1, Epilogue{hs, true}, 0, 0, 0},
	{3, 15, 15, 40, 5, 2, Epilogue{ge, true}, 0, 0, 0},
	{2, 17, 9, 20, 3, 1, Epilogue{hs, false}, 0, 0, 0},
	{1, 17, 9, 128, 5, 2, Epilogue{none, true}, 0, 0, 0},
	{1, 15, 15, 20, 3, 2, Epilogue{none, false}, 0, 0, 0},
	{1, 9, 17, 4, 7, 1, Epilogue{none, false}, 0, 0, 0},
	{2, 7, 7, 320, 3, 1, Epilogue{none, true}, 3, 4, 32}, // partial last blocks in both directions
	{1, 15, 15, 40, 3, 1, Epilogue{ge, false}, 2, 6, 0},
	{1, 17, 9, 20, 5, 2, Epilogue{hs, true}, 1, 1, 16},
	{3, 112, 112, 64, 3, 1, Epilogue{none, false}, 1, 4, 2}, // 75264 workgroups: a 2-D grid
}, depthwiseShapes...)

// gpuKernel is the case's GPU-set specialization; the case's block and
// workgroup overrides are CPU-set ones and do not apply.
func (s depthwiseCase) gpuKernel() Depthwise {
	return Target{Set: SetGPU}.Depthwise(s.n, s.h, s.w, s.c, s.k, s.stride, s.e)
}

// depthwiseHaloCases are GPU-set (Halo) specializations with tiles forced
// to edge cases: partial tiles in both directions, a partial channel group,
// one pixel per tile, one channel group per workgroup.
var depthwiseHaloCases = []Depthwise{
	{N: 2, H: 9, W: 11, C: 20, K: 3, Stride: 1, TY: 4, TX: 4, CG: 4, WG: 64, Halo: true, Epilogue: Epilogue{hs, true}},
	{N: 1, H: 15, W: 13, C: 12, K: 5, Stride: 2, TY: 3, TX: 5, CG: 2, WG: 30, Halo: true, Epilogue: Epilogue{ge, false}},
	{N: 3, H: 5, W: 6, C: 8, K: 7, Stride: 1, TY: 1, TX: 1, CG: 1, WG: 1, Halo: true},
	{N: 1, H: 7, W: 7, C: 36, K: 3, Stride: 2, TY: 4, TX: 4, CG: 8, WG: 128, Halo: true, Epilogue: Epilogue{none, true}},
}

func TestDepthwise(t *testing.T) {
	run := func(s depthwiseCase, k Depthwise) {
		t.Run(k.Label(), func(t *testing.T) {
			ho, wo := k.outSize()
			c := newDenseCase(s.n, s.h, s.w, s.c, s.k*s.k*s.c, s.c, s.e.Residual, [4]int{s.n, ho, wo, s.c}, 1)
			want := ref.DepthwiseConv2D(c.x, c.w, c.bias, s.k, s.stride, s.e.Act, c.res).Data
			checkGuarded(t, k, c.inputs(t, false, s.k*s.k, s.c), want)
		})
	}
	for _, s := range depthwiseCases {
		run(s, s.kernel())
		run(s, genericTarget.Depthwise(s.n, s.h, s.w, s.c, s.k, s.stride, s.e))
		if s.tx == 0 && s.wg == 0 {
			run(s, s.gpuKernel())
		}
	}
	for _, k := range depthwiseHaloCases {
		run(depthwiseCase{n: k.N, h: k.H, w: k.W, c: k.C, k: k.K, stride: k.Stride, e: k.Epilogue}, k)
	}
}

// guardFloats sentinel values follow every output of checkGuarded, so that
// a kernel writing past its output (out-of-bounds writes are clamped into
// the buffer) fails the test.
const (
	guardFloats = 64
	guardValue  = 1234.5
)

// checkGuarded binds a guarded output buffer after inputs as k's last
// binding, runs the passes before and then k in one submit, checks the guard
// and compares k's output against want.
func checkGuarded(t *testing.T, k Kernel, inputs []gpu.Resource, want []float32, before ...pass) {
	t.Helper()
	n := len(want)
	init := make([]float32, n+guardFloats)
	for i := n; i < len(init); i++ {
		init[i] = guardValue
	}
	out := buffer(t, init, 0)
	ks, binds := []Kernel{}, [][]gpu.Resource{}
	for _, p := range before {
		ks, binds = append(ks, p.k), append(binds, p.res)
	}
	ks, binds = append(ks, k), append(binds, append(inputs, out.res()))
	got := runKernels(t, ks, binds, out, len(init))
	for i, v := range got[n:] {
		if v != guardValue {
			t.Fatalf("%s wrote %v at %d, past its %d outputs", k.Label(), v, n+i, n)
		}
	}
	checkClose(t, k.Label(), got[:n], want)
}

// pass is a kernel with its bindings, run before the one checkGuarded checks.
type pass struct {
	k   Kernel
	res []gpu.Resource
}

// inputs binds the case's input, weights (a [wk][wn] texture when tex),
// bias and residual in the order of the dense families.
func (c denseCase) inputs(t *testing.T, tex bool, wk, wn int) []gpu.Resource {
	res := []gpu.Resource{buffer(t, c.x.Data, 0).res(), weightRes(t, c.w, wk, wn, tex), buffer(t, c.bias, 0).res()}
	if c.res != nil {
		res = append(res, buffer(t, c.res.Data, 0).res())
	}
	return res
}

func TestDepthwiseRejectsBadShapes(t *testing.T) {
	for _, k := range []Depthwise{
		{N: 1, H: 7, W: 7, C: 6, K: 3, Stride: 1, TX: 7, TY: 1, WG: 64},
		{N: 1, H: 7, W: 7, C: 8, K: 4, Stride: 1, TX: 7, TY: 1, WG: 64},
		{N: 1, H: 7, W: 7, C: 8, K: 3, Stride: 0, TX: 7, TY: 1, WG: 64},
		{N: 1, H: 7, W: 7, C: 8, K: 3, Stride: 1, TX: 7, TY: 1, WG: 64, Epilogue: Epilogue{Act: 7}},
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: no error", k.Label())
		}
	}
}

func BenchmarkDepthwise(b *testing.B) {
	for _, s := range depthwiseShapes {
		k := s.kernel()
		ho, wo := k.outSize()
		b.Run(k.Label(), func(b *testing.B) {
			benchKernel(b, k, k.FLOPs(), s.n*s.h*s.w*s.c, s.k*s.k*s.c, s.c, s.n*ho*wo*s.c)
		})
	}
}

// benchKernel times k with one buffer of sizes[i] random floats per
// binding: each iteration submits benchReps dispatches in one pass and
// waits. It reports the median and best µs per dispatch (launch cost
// included), the median's GFLOP/s, the time of the first dispatch (shader
// JIT included), and cpu-µs: half the process CPU time per dispatch, the
// time on 2 otherwise idle cores (as in benchDense; a dispatch that leaves
// a core idle looks up to 2× faster there).
func benchKernel(b *testing.B, k Kernel, flops float64, sizes ...int) {
	const benchReps = 50
	d := gputest.Device(b)
	c := NewCache(d)
	defer c.Release()
	res := make([]gpu.Resource, len(sizes))
	for i, n := range sizes {
		buf, err := d.NewBufferFloats(fmt.Sprintf("bench%d", i), randomFloats(n, uint64(i+1)))
		if err != nil {
			b.Fatal(err)
		}
		defer buf.Release()
		res[i] = gpu.BufferRes(buf)
	}
	dp, err := c.Dispatch(k, res...)
	if err != nil {
		b.Fatal(err)
	}
	defer dp.Group.Release()
	ds := slices.Repeat([]gpu.Dispatch{dp}, benchReps)
	t0 := time.Now()
	if _, err := d.Run(ds[:1], nil, 0, 0); err != nil { // warm up: the JIT runs on first use
		b.Fatal(err)
	}
	jit := time.Since(t0)
	var per, cpu []float64
	for b.Loop() {
		t0, c0 := time.Now(), processCPU()
		if _, err := d.Run(ds, nil, 0, 0); err != nil {
			b.Fatal(err)
		}
		per = append(per, time.Since(t0).Seconds()/benchReps)
		cpu = append(cpu, (processCPU()-c0)/benchReps)
	}
	slices.Sort(per)
	slices.Sort(cpu)
	med := per[len(per)/2]
	b.ReportMetric(med*1e6, "µs/dispatch")
	b.ReportMetric(per[0]*1e6, "best-µs/dispatch")
	b.ReportMetric(cpu[len(cpu)/2]/2*1e6, "cpu-µs/dispatch")
	b.ReportMetric(flops/med/1e9, "GFLOP/s")
	b.ReportMetric(float64(jit.Milliseconds()), "first-ms")
	b.ReportMetric(0, "ns/op")
}
