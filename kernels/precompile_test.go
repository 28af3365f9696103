//go:build js || cgo

package kernels

import (
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// TestCachePrecompile: Precompile builds one pipeline per key (two generic
// pools of other sizes share one), leaves texture-bound and Optional
// kernels to Prepare, and the pipelines it built are the ones Prepare,
// Pipeline and Dispatch then use — nothing is compiled twice — and compute
// the reference's results.
func TestCachePrecompile(t *testing.T) {
	d := gputest.Device(t)
	c := NewCache(d)
	defer c.Release()
	pool := genericTarget.MeanPool(2, 5, 3, 12)
	other := genericTarget.MeanPool(1, 7, 7, 40) // same pipeline key as pool
	lin := genericTarget.Linear(1, 16, 8, Epilogue{})
	tex := Linear{Batch: 1, K: 16, N: 8, Tile: Tile{TM: 1, TN: 8, WG: 16}, Tex: true}
	dw := depthwiseCase{n: 1, h: 9, w: 9, c: 16, k: 3, stride: 1}
	opt := uncompilable{twin: dw.gpuKernel(), optional: true}
	n, err := c.Precompile(pool, other, lin, tex, opt)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || c.Len() != 2 {
		t.Fatalf("Precompile started %d pipelines, the cache holds %d; want 2 (the pool's and the linear's)", n, c.Len())
	}
	if c.Has(tex) || c.Has(opt) {
		t.Error("Precompile built a texture-bound or an Optional kernel")
	}
	first, err := c.Pipeline(other)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.Pipeline(pool); again != first {
		t.Error("the pools of one key got two pipelines")
	}
	if err := c.Prepare(pool, lin); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 {
		t.Errorf("Prepare of precompiled kernels built %d more pipelines", c.Len()-2)
	}
	if n, err := c.Precompile(pool, lin); err != nil || n != 0 {
		t.Errorf("Precompile of built kernels started %d pipelines (error %v), want 0", n, err)
	}
	x := &ref.Tensor{N: 2, H: 5, W: 3, C: 12, Data: randomFloats(2*5*3*12, 3)}
	want := ref.MeanPool(x).Data
	out := buffer(t, nil, len(want))
	dp, err := c.Dispatch(pool, withParamsRes(t, pool, []gpu.Resource{buffer(t, x.Data, 0).res(), out.res()})...)
	if err != nil {
		t.Fatal(err)
	}
	defer dp.Group.Release()
	if dp.Pipeline != first {
		t.Error("Dispatch did not use the precompiled pipeline")
	}
	got, err := d.Run([]gpu.Dispatch{dp}, out.b, 0, len(want))
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "precompiled generic pool", got, want)
}

// TestCachePrecompileFailure: a kernel that does not compile, precompiled,
// leaves nothing behind: the Prepare that needs it reports the error
// naming it, the cache holds no pipeline for it, and other kernels still
// build.
func TestCachePrecompileFailure(t *testing.T) {
	c := NewCache(gputest.Device(t))
	defer c.Release()
	bad := uncompilable{twin: depthwiseCase{n: 1, h: 9, w: 9, c: 16, k: 3, stride: 1}.gpuKernel()}
	_, _ = c.Precompile(bad) // the error may come now or at the first use
	err := c.Prepare(bad)
	if err == nil || !strings.Contains(err.Error(), bad.Label()) {
		t.Fatalf("Prepare after a failed Precompile: %v, want an error naming %s", err, bad.Label())
	}
	if c.Len() != 0 {
		t.Errorf("%d pipelines kept after the failure", c.Len())
	}
	if err := c.Prepare(ChooseMeanPool(1, 7, 7, 16)); err != nil {
		t.Fatal(err)
	}
}

// TestCachePrecompileThenRelease: releasing the cache with precompiled
// pipelines not yet used frees them, and Precompile after Release builds
// nothing.
func TestCachePrecompileThenRelease(t *testing.T) {
	c := NewCache(gputest.Device(t))
	if _, err := c.Precompile(genericTarget.MeanPool(1, 7, 7, 16)); err != nil {
		t.Fatal(err)
	}
	c.Release()
	if c.Len() != 0 {
		t.Errorf("%d pipelines kept after Release", c.Len())
	}
	if n, err := c.Precompile(genericTarget.LayerNorm(1, 16, Epilogue{})); err == nil || n != 0 {
		t.Errorf("Precompile after Release: %d started, error %v; want an error", n, err)
	}
}
