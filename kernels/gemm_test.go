//go:build js || cgo

package kernels

import (
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// weightRes binds a [k][n] weight matrix (n a multiple of 4) as a storage
// buffer or, with tex, as an rgba32float texture of width n/4 and height k.
func weightRes(t testing.TB, w []float32, k, n int, tex bool) gpu.Resource {
	t.Helper()
	d := gputest.Device(t)
	if !tex {
		b, err := d.NewBufferFloats("weights", w)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Release)
		return gpu.BufferRes(b)
	}
	tx, view, err := d.NewTextureFloats("weights", n/4, k, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { view.Release(); tx.Release() })
	return gpu.Resource{View: view}
}

// denseCase is one conformance case of a dense kernel: its epilogue input
// (bias, residual) and where the output lives.
type denseCase struct {
	x, res  *ref.Tensor
	w, bias []float32
}

// newDenseCase makes random operands for an input [n,h,w,cin], weights
// of wlen values, and (when residual) a residual of outShape.
func newDenseCase(n, h, w, cin, wlen, cout int, residual bool, outShape [4]int, seed uint64) denseCase {
	c := denseCase{
		x:    &ref.Tensor{N: n, H: h, W: w, C: cin, Data: randomFloats(n*h*w*cin, seed)},
		w:    randomFloats(wlen, seed+1),
		bias: randomFloats(cout, seed+2),
	}
	if residual {
		s := outShape
		c.res = &ref.Tensor{N: s[0], H: s[1], W: s[2], C: s[3], Data: randomFloats(s[0]*s[1]*s[2]*s[3], seed+3)}
	}
	return c
}

// run binds A, B, bias, [residual], C for k in that order, runs it and
// compares the output against want.
func (c denseCase) run(t *testing.T, k Kernel, tex bool, wk, wn int, want []float32) {
	t.Helper()
	in := buffer(t, c.x.Data, 0)
	out := buffer(t, nil, len(want))
	bias := buffer(t, c.bias, 0)
	res := []gpu.Resource{in.res(), weightRes(t, c.w, wk, wn, tex), bias.res()}
	if c.res != nil {
		res = append(res, buffer(t, c.res.Data, 0).res())
	}
	res = append(res, out.res())
	got := runKernels(t, []Kernel{k}, [][]gpu.Resource{res}, out, len(want))
	checkClose(t, k.Label(), got, want)
}

// pointwiseCase is a Pointwise conformance case: a 1×1 convolution of an
// [n,h,w,k] input to cout channels.
type pointwiseCase struct {
	n, h, w, k, cout int
	tile             Tile // zero: ChoosePointwise's
	tex              bool
	e                Epilogue
}

func (s pointwiseCase) kernel() Pointwise {
	k := ChoosePointwise(s.n*s.h*s.w, s.k, s.cout, s.e)
	if s.tile != (Tile{}) {
		k.Tile = s.tile
	}
	k.Tex = s.tex
	return k
}

// pointwiseShapes are LowFormer's 1×1 convolutions at 224 px (B0), the
// first three being the ones the team tracks: BenchmarkPointwise times
// them (with either weight source), TestPointwise checks them.
var pointwiseShapes = []pointwiseCase{
	{1, 14, 14, 128, 512, Tile{}, true, Epilogue{Act: hs}},
	{1, 7, 7, 1024, 256, Tile{}, true, Epilogue{Act: hs}},
	{1, 7, 7, 256, 1536, Tile{}, true, Epilogue{Act: hs}},
	{1, 112, 112, 16, 64, Tile{}, true, Epilogue{Act: hs}},
	{1, 56, 56, 64, 32, Tile{}, true, Epilogue{Act: hs}},
	{1, 28, 28, 128, 64, Tile{}, true, Epilogue{Act: hs}},
	{1, 14, 14, 512, 128, Tile{}, true, Epilogue{Act: hs}},
	{1, 7, 7, 256, 1024, Tile{}, true, Epilogue{Act: hs}},
	{1, 7, 7, 128, 192, Tile{}, true, Epilogue{Act: hs}},
}

// pointwiseCases are the conformance cases: edge cases of the tiling and
// the epilogue, then pointwiseShapes.
var pointwiseCases = append([]pointwiseCase{
	{1, 1, 1, 4, 4, Tile{}, false, Epilogue{}},
	{1, 7, 7, 128, 320, Tile{14, 16, 32}, true, Epilogue{hs, true}},
	{1, 7, 7, 128, 320, Tile{14, 16, 16}, false, Epilogue{ge, false}},
	{3, 15, 15, 20, 40, Tile{8, 16, 16}, true, Epilogue{none, true}},
	{3, 15, 15, 20, 40, Tile{8, 16, 32}, false, Epilogue{hs, false}},
	{1, 17, 9, 40, 20, Tile{7, 16, 16}, true, Epilogue{ge, true}},
	{2, 7, 7, 320, 128, Tile{7, 16, 8}, false, Epilogue{none, false}},
	{1, 17, 9, 4, 128, Tile{4, 16, 16}, true, Epilogue{ge, false}},
	{3, 7, 7, 128, 4, Tile{4, 8, 16}, false, Epilogue{hs, true}},
	{1, 15, 15, 40, 320, Tile{4, 8, 32}, true, Epilogue{none, false}},
	{1, 1, 1, 320, 40, Tile{1, 4, 1}, false, Epilogue{hs, false}},
	{1, 14, 14, 128, 512, Tile{}, true, Epilogue{hs, true}},
	{2, 7, 7, 1024, 256, Tile{}, false, Epilogue{none, true}},
	{1, 1, 1, 1536, 1600, Tile{}, true, Epilogue{}},
	{1, 10, 10, 20, 20, Tile{}, false, Epilogue{}},
}, pointwiseShapes...)

func TestPointwise(t *testing.T) {
	for _, s := range pointwiseCases {
		k := s.kernel()
		t.Run(k.Label(), func(t *testing.T) {
			c := newDenseCase(s.n, s.h, s.w, s.k, s.k*s.cout, s.cout, s.e.Residual, [4]int{s.n, s.h, s.w, s.cout}, 7)
			want := ref.Conv2D(c.x, c.w, c.bias, 1, 1, s.cout, s.e.Act, c.res).Data
			c.run(t, k, s.tex, s.k, s.cout, want)
		})
	}
}

// TestPointwiseGridSplit covers a dispatch of more than 65535 workgroups,
// which is folded into a second grid dimension.
func TestPointwiseGridSplit(t *testing.T) {
	k := Pointwise{M: 70000, K: 4, N: 4, Tile: Tile{1, 4, 1}}
	if x, y, _ := k.Workgroups(); x > 65535 || y != 2 {
		t.Fatalf("%s: grid %d×%d, want 2 rows of ≤ 65535", k.Label(), x, y)
	}
	c := newDenseCase(1, 1, 70000, 4, 16, 4, false, [4]int{}, 3)
	c.run(t, k, false, 4, 4, ref.Conv2D(c.x, c.w, c.bias, 1, 1, 4, act.None, nil).Data)
}

func TestPointwiseRejectsBadShapes(t *testing.T) {
	ok := Tile{8, 16, 32}
	for _, k := range []Pointwise{
		{M: 49, K: 6, N: 16, Tile: ok},
		{M: 49, K: 16, N: 18, Tile: ok},
		{M: 0, K: 16, N: 16, Tile: ok},
		{M: 49, K: 16, N: 16, Tile: Tile{8, 6, 32}},
		{M: 49, K: 16, N: 16, Tile: Tile{0, 16, 32}},
		{M: 49, K: 16, N: 16, Tile: Tile{8, 16, 512}},
		{M: 49, K: 16384, N: 16, Tile: ok, Tex: true},
		{M: 49, K: 16, N: 16, Tile: ok, Epilogue: Epilogue{Act: 7}},
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: Source accepted an invalid specialization", k.Label())
		}
	}
}

// TestChoosePointwise checks that ChoosePointwise's choice for every
// case's shape renders and has at least 4 workgroups where there is work
// for them.
func TestChoosePointwise(t *testing.T) {
	for _, s := range pointwiseCases {
		k := ChoosePointwise(s.n*s.h*s.w, s.k, s.cout, s.e)
		if _, err := k.Source(); err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		x, y, _ := k.Workgroups()
		if inv := ceilDiv(k.M, k.TM) * ceilDiv(k.N, k.TN); inv >= 4*16 && x*y < 4 {
			t.Errorf("%s: %d workgroups for %d invocations, want ≥ 4", k.Label(), x*y, inv)
		}
		t.Logf("%dx%dx%d → %s (%d×%d workgroups)", k.M, k.K, k.N, k.Label(), x, y)
	}
}
