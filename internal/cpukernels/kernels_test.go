package cpukernels

import (
	"fmt"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// randTensor returns an n×h×w×c tensor of values in [-1, 1).
func randTensor(seed uint64, n, h, w, c int) *ref.Tensor {
	return &ref.Tensor{N: n, H: h, W: w, C: c, Data: randSlice(seed, n*h*w*c)}
}

// check compares got with the oracle's result.
func check(t *testing.T, got []float32, want *ref.Tensor, k int) {
	t.Helper()
	if d := ref.MaxAbsDiff(got, want.Data); d > tol(k) {
		t.Errorf("max-abs diff %.3g > %.3g (oracle max-abs %.3g)", d, tol(k), ref.MaxAbs(want.Data))
	}
}

// epilogue returns the epilogue of a case and the oracle's residual.
func epilogue(bias []float32, fn act.Func, withRes bool, n, h, w, c int) (Epilogue, *ref.Tensor) {
	ep := Epilogue{Bias: bias, Act: fn}
	if !withRes {
		return ep, nil
	}
	res := randTensor(9, n, h, w, c)
	ep.Res, ep.LdRes = res.Data, c
	return ep, res
}

type convCase struct{ n, h, w, cin, cout, k, stride int }

func TestConvMatchesOracle(t *testing.T) {
	for _, tc := range []convCase{
		{1, 9, 7, 4, 16, 3, 2}, {1, 8, 8, 16, 33, 3, 1}, {2, 5, 6, 3, 5, 3, 1}, {1, 11, 13, 32, 64, 3, 2},
		{1, 7, 7, 5, 17, 5, 2}, {1, 6, 5, 8, 9, 1, 2}, {1, 1, 3, 2, 3, 3, 1},
	} {
		for _, fn := range acts {
			for _, withRes := range []bool{false, true} {
				t.Run(fmt.Sprintf("%+v/%v/res=%v", tc, fn, withRes), func(t *testing.T) {
					x := randTensor(1, tc.n, tc.h, tc.w, tc.cin)
					w := randSlice(2, tc.k*tc.k*tc.cin*tc.cout)
					bias := randSlice(3, tc.cout)
					ho, wo := ConvOutSize(tc.h, tc.k, tc.stride), ConvOutSize(tc.w, tc.k, tc.stride)
					ep, res := epilogue(bias, fn, withRes, tc.n, ho, wo, tc.cout)
					want := ref.Conv2D(x, w, bias, tc.k, tc.stride, tc.cout, fn, res)
					got := make([]float32, len(want.Data))
					NewConv(x.Data, Geom{tc.n, tc.h, tc.w, tc.cin}, tc.k, tc.stride, got, PackB(w, tc.k*tc.k*tc.cin, tc.cout), ep, NewScratch(Workers())).Run()
					check(t, got, want, tc.k*tc.k*tc.cin)
				})
			}
		}
	}
}

func TestDepthwiseMatchesOracle(t *testing.T) {
	for _, tc := range []convCase{
		{1, 9, 7, 16, 0, 3, 1}, {1, 9, 7, 33, 0, 3, 2}, {2, 8, 8, 20, 0, 5, 2}, {1, 14, 14, 128, 0, 5, 2},
		{1, 5, 6, 3, 0, 3, 1}, {1, 2, 3, 17, 0, 5, 1},
	} {
		for _, fn := range acts {
			for _, withRes := range []bool{false, true} {
				t.Run(fmt.Sprintf("%+v/%v/res=%v", tc, fn, withRes), func(t *testing.T) {
					x := randTensor(1, tc.n, tc.h, tc.w, tc.cin)
					w := randSlice(2, tc.k*tc.k*tc.cin)
					bias := randSlice(3, tc.cin)
					ho, wo := ConvOutSize(tc.h, tc.k, tc.stride), ConvOutSize(tc.w, tc.k, tc.stride)
					ep, res := epilogue(bias, fn, withRes, tc.n, ho, wo, tc.cin)
					want := ref.DepthwiseConv2D(x, w, bias, tc.k, tc.stride, fn, res)
					got := make([]float32, len(want.Data))
					d := NewDepthwise(x.Data, Geom{tc.n, tc.h, tc.w, tc.cin}, tc.k, tc.stride, w, got, ep)
					ForEach(d.Tasks(), d.Task)
					check(t, got, want, tc.k*tc.k)
				})
			}
		}
	}
}

func TestConvTMatchesOracle(t *testing.T) {
	for _, tc := range []struct{ n, h, w, cin, cout, cropH, cropW int }{
		{1, 7, 7, 64, 128, 14, 14}, {1, 4, 5, 3, 5, 7, 9}, {2, 3, 3, 8, 17, 6, 5}, {1, 2, 2, 5, 40, 1, 4},
	} {
		for _, withRes := range []bool{false, true} {
			t.Run(fmt.Sprintf("%+v/res=%v", tc, withRes), func(t *testing.T) {
				x := randTensor(1, tc.n, tc.h, tc.w, tc.cin)
				w := randSlice(2, 16*tc.cin*tc.cout)
				bias := randSlice(3, tc.cout)
				ep, res := epilogue(bias, act.None, withRes, tc.n, tc.cropH, tc.cropW, tc.cout)
				want := ref.ConvTranspose4x4S2(x, w, bias, tc.cout, tc.cropH, tc.cropW, res)
				got := make([]float32, len(want.Data))
				NewConvT(x.Data, Geom{tc.n, tc.h, tc.w, tc.cin}, got, tc.cropH, tc.cropW, PackConvT(w, tc.cin, tc.cout), ep, NewScratch(Workers())).Run()
				check(t, got, want, 4*tc.cin)
			})
		}
	}
}

func TestAttentionMatchesOracle(t *testing.T) {
	for _, tc := range []struct{ n, h, w, heads, hd int }{
		{1, 7, 7, 4, 32}, {2, 3, 5, 2, 8}, {1, 4, 4, 1, 5}, {1, 14, 14, 2, 17},
	} {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			x := randTensor(1, tc.n, tc.h, tc.w, tc.heads*3*tc.hd)
			want := ref.Attention(x, tc.heads, tc.hd)
			got := make([]float32, len(want.Data))
			NewAttention(x.Data, Geom{tc.n, tc.h, tc.w, x.C}, got, tc.heads, tc.hd, NewScratch(Workers())).Run()
			check(t, got, want, tc.h*tc.w+tc.hd)
		})
	}
}

func TestNormsAndPoolMatchOracle(t *testing.T) {
	for _, s := range []struct{ n, h, w, c int }{{1, 7, 7, 128}, {2, 3, 5, 17}, {1, 1, 1, 3}} {
		x := randTensor(1, s.n, s.h, s.w, s.c)
		for i := range x.Data {
			x.Data[i] = 3*x.Data[i] + 0.5 // mean off zero
		}
		gamma, beta := randSlice(2, s.c), randSlice(3, s.c)
		t.Run(fmt.Sprintf("groupnorm/%+v", s), func(t *testing.T) {
			got := make([]float32, len(x.Data))
			GroupNorm(x.Data, got, s.n, s.h*s.w*s.c, gamma, beta, make([]float32, s.c))
			check(t, got, ref.GroupNorm(x, gamma, beta), 8)
		})
		t.Run(fmt.Sprintf("meanpool/%+v", s), func(t *testing.T) {
			got := make([]float32, s.n*s.c)
			MeanPool(x.Data, got, s.n, s.h*s.w, s.c)
			check(t, got, ref.MeanPool(x), 8)
		})
		flat := &ref.Tensor{N: s.n, H: 1, W: 1, C: s.h * s.w * s.c, Data: x.Data}
		g2, b2 := randSlice(4, flat.C), randSlice(5, flat.C)
		for _, fn := range acts {
			t.Run(fmt.Sprintf("layernorm/%+v/%v", s, fn), func(t *testing.T) {
				got := make([]float32, len(x.Data))
				LayerNorm(x.Data, got, s.n, g2, b2, fn)
				check(t, got, ref.LayerNorm(flat, g2, b2, fn), 8)
			})
		}
	}
}

func TestWinogradMatchesOracle(t *testing.T) {
	for _, tc := range []convCase{
		{1, 14, 14, 128, 512, 3, 1}, {1, 7, 7, 128, 256, 3, 1}, {2, 5, 6, 3, 5, 3, 1}, {1, 9, 7, 17, 33, 3, 1}, {1, 1, 2, 4, 3, 3, 1},
	} {
		for _, fn := range acts {
			for _, withRes := range []bool{false, true} {
				t.Run(fmt.Sprintf("%+v/%v/res=%v", tc, fn, withRes), func(t *testing.T) {
					x := randTensor(1, tc.n, tc.h, tc.w, tc.cin)
					w := randSlice(2, 9*tc.cin*tc.cout)
					bias := randSlice(3, tc.cout)
					ep, res := epilogue(bias, fn, withRes, tc.n, tc.h, tc.w, tc.cout)
					want := ref.Conv2D(x, w, bias, 3, 1, tc.cout, fn, res)
					got := make([]float32, len(want.Data))
					NewWinograd(x.Data, Geom{tc.n, tc.h, tc.w, tc.cin}, got, PackWinograd(w, tc.cin, tc.cout), ep, NewScratch(Workers())).Run()
					check(t, got, want, 9*tc.cin)
				})
			}
		}
	}
}
