package cpukernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// randSlice returns n values uniform in [-1, 1) from a fixed seed.
func randSlice(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*r.Float32() - 1
	}
	return s
}

// tol is the max-abs tolerance of a float32 kernel against the float64
// oracle for a result built from k products of values in [-1, 1).
func tol(k int) float32 { return 4e-7 * float32(k) }

var acts = []act.Func{act.None, act.HSwish, act.GELU}

func TestGemmMatchesLinearOracle(t *testing.T) {
	for _, tc := range []struct{ m, k, n int }{
		{1, 1, 1}, {1, 1600, 1000}, {3, 7, 5}, {4, 16, 32}, {5, 33, 17}, {49, 256, 1024}, {196, 512, 128}, {13, 64, 70},
	} {
		for _, fn := range acts {
			for _, withRes := range []bool{false, true} {
				name := fmt.Sprintf("%dx%dx%d/%v/res=%v", tc.m, tc.k, tc.n, fn, withRes)
				t.Run(name, func(t *testing.T) {
					a := randSlice(1, tc.m*tc.k)
					w := randSlice(2, tc.k*tc.n)
					bias := randSlice(3, tc.n)
					x := &ref.Tensor{N: 1, H: tc.m, W: 1, C: tc.k, Data: a}
					var res *ref.Tensor
					ep := Epilogue{Bias: bias, Act: fn}
					if withRes {
						res = &ref.Tensor{N: 1, H: tc.m, W: 1, C: tc.n, Data: randSlice(4, tc.m*tc.n)}
						ep.Res, ep.LdRes = res.Data, tc.n
					}
					want := ref.Conv2D(x, w, bias, 1, 1, tc.n, fn, res).Data
					got := make([]float32, tc.m*tc.n)
					NewGemm(got, tc.n, a, tc.k, tc.m, PackB(w, tc.k, tc.n), ep, Workers()).Run()
					if d := ref.MaxAbsDiff(got, want); d > tol(tc.k) {
						t.Errorf("max-abs diff %.3g > %.3g", d, tol(tc.k))
					}
				})
			}
		}
	}
}
