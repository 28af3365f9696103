package cpukernels

import (
	"math/rand/v2"

	"github.com/lowformer/lowformer-webgpu/act"
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
