package cpukernels

import (
	"math"
	"testing"
)

// TestActivationsDense checks the epilogue activations on a dense grid of
// x in [-12, 12] (GEMM with k = 1 and a unit weight) against act.Func.
func TestActivationsDense(t *testing.T) {
	const m = 24001
	x := make([]float32, m)
	for i := range x {
		x[i] = -12 + 24*float32(i)/(m-1)
	}
	for _, fn := range acts {
		got := make([]float32, m)
		NewGemm(got, 1, x, 1, m, PackB([]float32{1}, 1, 1), Epilogue{Bias: []float32{0}, Act: fn}, NewScratch(Workers())).Run()
		var worst float64
		for i, v := range x {
			worst = max(worst, math.Abs(float64(got[i]-fn.Apply(v)))/max(1, math.Abs(float64(v))))
		}
		if worst > 3e-7 {
			t.Errorf("%v: worst error %.3g relative to max(1, |x|)", fn, worst)
		}
	}
}

func TestSoftmax(t *testing.T) {
	for _, n := range []int{1, 3, 16, 17, 49, 196} {
		p := randSlice(uint64(n), n)
		for i := range p {
			p[i] *= 40 // scores far apart: exp underflows for some
		}
		want := make([]float64, n)
		const scale = 0.5 // exact: scale·p is the same in float32 and float64
		m := math.Inf(-1)
		for _, v := range p {
			m = max(m, scale*float64(v))
		}
		var sum float64
		for i, v := range p {
			want[i] = math.Exp(scale*float64(v) - m)
			sum += want[i]
		}
		softmax(p, scale)
		for i, v := range p {
			if d := math.Abs(float64(v) - want[i]/sum); d > 1e-6 {
				t.Fatalf("n=%d: p[%d] = %v, want %v", n, i, v, want[i]/sum)
			}
		}
	}
}
