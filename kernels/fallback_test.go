//go:build js || cgo

package kernels

import (
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// uncompilable is a kernel whose WGSL no adapter compiles, standing for a
// kernel that uses a feature the adapter lacks; with a twin (optional) it
// is an Optional kernel falling back to twin, and it has twin's bindings
// and dispatch geometry either way.
type uncompilable struct {
	twin     Depthwise
	optional bool
}

func (k uncompilable) Label() string { return "uncompilable_" + k.twin.Label() }

func (k uncompilable) Source() (string, error) {
	return "enable no_such_feature;\n@compute @workgroup_size(1) fn main() {}", nil
}

func (k uncompilable) Bindings() []Binding { return k.twin.Bindings() }

func (k uncompilable) Workgroups() (x, y, z uint32) { return k.twin.Workgroups() }

func (k uncompilable) Fallback() (Kernel, bool) { return k.twin, k.optional }

// TestCacheFallsBackToTwin builds an Optional kernel that does not compile
// beside one that does: the cache builds its twin in its place, lists it in
// Fallbacks, and the kernel then computes the twin's (correct) results.
func TestCacheFallsBackToTwin(t *testing.T) {
	s := depthwiseCase{n: 2, h: 9, w: 9, c: 16, k: 3, stride: 1, e: Epilogue{Act: hs}}
	k := uncompilable{twin: s.gpuKernel(), optional: true}
	c := NewCache(gputest.Device(t))
	defer c.Release()
	plain := ChooseMeanPool(1, 7, 7, 16)
	if err := c.Prepare(plain, k); err != nil {
		t.Fatalf("Prepare with an Optional kernel that does not compile: %v", err)
	}
	if fb := c.Fallbacks(); len(fb) != 1 || !strings.HasPrefix(fb[0], k.Label()+" → "+k.twin.Label()) {
		t.Errorf("Fallbacks %q, want one naming %s → %s", fb, k.Label(), k.twin.Label())
	}
	if c.Len() != 2 {
		t.Errorf("%d pipelines, want 2", c.Len())
	}
	ho, wo := k.twin.outSize()
	dc := newDenseCase(s.n, s.h, s.w, s.c, s.k*s.k*s.c, s.c, false, [4]int{s.n, ho, wo, s.c}, 1)
	want := ref.DepthwiseConv2D(dc.x, dc.w, dc.bias, s.k, s.stride, s.e.Act, nil).Data
	checkGuarded(t, k, dc.inputs(t, false, s.k*s.k, s.c), want)
}

// TestCacheFallbackKeepsOtherErrors: a kernel without a twin that does not
// compile still fails the batch, naming it, and nothing is kept.
func TestCacheFallbackKeepsOtherErrors(t *testing.T) {
	twin := ChooseDepthwise(1, 7, 7, 16, 3, 1, Epilogue{})
	c := NewCache(gputest.Device(t))
	defer c.Release()
	bad := uncompilable{twin: twin}
	err := c.Prepare(uncompilable{twin: twin, optional: true}, bad)
	if err == nil || !strings.Contains(err.Error(), bad.Label()) {
		t.Fatalf("error %v, want one naming %s", err, bad.Label())
	}
	if c.Len() != 0 || len(c.Fallbacks()) != 0 {
		t.Errorf("a failed Prepare kept %d pipelines and fallbacks %q", c.Len(), c.Fallbacks())
	}
}

// TestSubgroupKernelsOnThisAdapter builds the GPU set's subgroup kernels
// (GroupNorm statistics, LayerNorm, attention) through a cache on the test adapter:
// where their WGSL compiles they run as they are, elsewhere (lavapipe:
// wgpu-native here does not offer subgroups) as their twins; either way the
// results must match the reference, and the cache must report a fallback
// exactly when the subgroup WGSL does not compile.
func TestSubgroupKernelsOnThisAdapter(t *testing.T) {
	d := gputest.Device(t)
	sg := Target{Set: SetGPU, Subgroups: true, F16: true}
	stats, _ := sg.GroupNorm(2, 14, 14, 128)
	ln := sg.LayerNorm(2, 1600, Epilogue{Act: hs})
	at := sg.Attention(2, 49, 3, 32)
	for _, k := range []Optional{stats, ln, at} {
		if _, ok := k.Fallback(); !ok {
			t.Fatalf("%s: the GPU set with Subgroups chose no subgroup kernel", k.Label())
		}
		src, err := k.Source()
		if err != nil {
			t.Fatal(err)
		}
		p, cerr := d.CreatePipeline(k.Label(), src, kinds(k.Bindings()))
		p.Release()
		t.Logf("%s on %s: compile error %v", k.Label(), d.Info, cerr)
		c := NewCache(d)
		defer c.Release()
		if err := c.Prepare(k); err != nil {
			t.Fatalf("%s: %v", k.Label(), err)
		}
		if fell := len(c.Fallbacks()) == 1; fell != (cerr != nil) {
			t.Errorf("%s: fallbacks %q although its WGSL compile error is %v", k.Label(), c.Fallbacks(), cerr)
		}
	}
	x := &ref.Tensor{N: 2, H: 14, W: 14, C: 128, Data: normInput(2, 14*14*128, 128, 10)}
	in, out := buffer(t, x.Data, 0), buffer(t, nil, stats.StatsFloats())
	got := runKernels(t, []Kernel{stats}, [][]gpu.Resource{{in.res(), out.res()}}, out, stats.StatsFloats())
	checkStats(t, statsOf(stats, got), x.Data, 2)
	s := layerNormCase{n: 2, c: 1600, act: hs, offset: 10}
	testLayerNorm(t, s, ln)
	testAttention(t, at)
}
