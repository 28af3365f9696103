package model

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// roundF16 rounds x to the nearest binary16 value (ties to even; the
// weights tested are far from the f16 overflow).
func roundF16(x float32) float32 {
	e := max(math.Ilogb(float64(x)), -14) // below 2^-14 the f16 quantum stays 2^-24
	q := math.Ldexp(1, e-10)
	return float32(math.RoundToEven(float64(x)/q) * q)
}

// TestF16DepthwiseWeightsExceedBudget is why no kernel uses shader-f16
// (kernels.Target.F16): storing only the depthwise weights as f16, with
// f32 everywhere else (the most conservative f16 use the issue names),
// moves b0's logits further from the reference than the 2e-4 budget. The
// CPU model runs with the weights rounded as an f16 kernel would read them.
func TestF16DepthwiseWeightsExceedBudget(t *testing.T) {
	for _, v := range []string{"b0", "E1"} {
		g, _, dir := referenceGraph(t, v)
		for _, op := range g.Ops {
			if c, ok := op.(*Conv); ok && c.Depthwise {
				for i, w := range c.Weight {
					c.Weight[i] = roundF16(w)
				}
			}
		}
		input, im := readBin(t, filepath.Join(dir, "input.bin"))
		want, _ := readBin(t, filepath.Join(dir, "logits.bin"))
		got, err := NewCPU(g).Logits(input, im.Shape[0], im.Shape[2], im.Shape[3])
		if err != nil {
			t.Fatal(err)
		}
		diff := ref.MaxAbsDiff(got, want)
		t.Logf("%s with f16 depthwise weights: logits max-abs diff %.3e (budget %.0e)", v, diff, logitTol)
		if v == "b0" && diff <= logitTol {
			t.Errorf("b0 with f16 depthwise weights is within the budget (%.3g): f16 storage may now pay; revisit kernels.Target.F16", diff)
		}
	}
}

func TestRoundF16(t *testing.T) {
	for _, c := range []struct{ in, want float32 }{
		{1, 1}, {1 + 1.0/2048, 1}, {1 + 3.0/2048, 1 + 2.0/1024}, {-0.1, -0.0999755859375},
		{65504, 65504}, {1e-6, 1.013278961181640625e-06}, {0, 0},
	} {
		if got := roundF16(c.in); got != c.want {
			t.Errorf("roundF16(%g) = %.10g, want %.10g", c.in, got, c.want)
		}
	}
}
