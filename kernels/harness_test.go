//go:build js || cgo

package kernels

import (
	"math"
	"testing"

	"github.com/cogentcore/webgpu/wgpu"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// none, hs and ge are short names of the activations for case tables.
const none, hs, ge = act.None, act.HSwish, act.GELU

// tolerance is the conformance bound for fp32 kernels: max-abs error at
// most 1e-5 of the reference output's max-abs.
const tolerance = 1e-5

// runKernels builds the kernels, binds each to its resources, runs them in
// order in one submit and returns the first outLen floats of outBuf.
func runKernels(t *testing.T, ks []Kernel, bindings [][]gpu.Resource, outBuf gpuBuf, outLen int) []float32 {
	t.Helper()
	d := gputest.Device(t)
	c := NewCache(d)
	defer c.Release()
	var ds []gpu.Dispatch
	for i, k := range ks {
		dp, err := c.Dispatch(k, withParamsRes(t, k, bindings[i])...)
		if err != nil {
			t.Fatalf("%s: %v", k.Label(), err)
		}
		defer dp.Group.Release()
		ds = append(ds, dp)
	}
	out, err := d.Run(ds, outBuf.b, 0, outLen)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withParamsRes is res with, for a generic kernel, its Params binding
// appended (a uniform released at the end of the test).
func withParamsRes(t *testing.T, k Kernel, res []gpu.Resource) []gpu.Resource {
	t.Helper()
	if !IsGeneric(k) {
		return res
	}
	u, err := gputest.Device(t).NewUniform("params", Params(k))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.Release)
	return append(res, gpu.BufferRes(u))
}

// gpuBuf is a test buffer.
type gpuBuf struct{ b *wgpu.Buffer }

// buffer uploads data (or zeros of n floats when data is nil) and releases
// it at the end of the test.
func buffer(t *testing.T, data []float32, n int) gpuBuf {
	t.Helper()
	d := gputest.Device(t)
	if data == nil {
		data = make([]float32, n)
	}
	b, err := d.NewBufferFloats("test", data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Release)
	return gpuBuf{b}
}

func (g gpuBuf) res() gpu.Resource { return gpu.BufferRes(g.b) }

// checkClose fails the test when got differs from want by more than
// tolerance × max|want| anywhere, reporting the worst index.
func checkClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	var maxRef, maxErr float64
	worst := -1
	for i, w := range want {
		maxRef = math.Max(maxRef, math.Abs(float64(w)))
		e := math.Abs(float64(got[i]) - float64(w))
		if e > maxErr || math.IsNaN(e) {
			maxErr, worst = e, i
		}
	}
	bound := tolerance * math.Max(maxRef, 1e-30)
	if maxErr > bound || math.IsNaN(maxErr) {
		t.Fatalf("%s: max-abs error %.3g at %d (got %v, want %v) exceeds %.3g (= %g × max|ref| %.3g)",
			what, maxErr, worst, got[worst], want[worst], bound, tolerance, maxRef)
	}
	t.Logf("%s: max-abs error %.3g (%.2g of max|ref| %.3g)", what, maxErr, maxErr/math.Max(maxRef, 1e-30), maxRef)
}

// randomFloats is a deterministic pseudo-random slice in [-1, 1).
func randomFloats(n int, seed uint64) []float32 {
	s := make([]float32, n)
	x := seed*0x9E3779B97F4A7C15 + 1
	for i := range s {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		s[i] = float32(x>>40)/float32(1<<23) - 1
	}
	return s
}
