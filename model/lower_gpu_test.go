//go:build js || cgo

package model

import (
	"testing"

	"github.com/lowformer/lowformer-webgpu/kernels"
)

// TestLowerGPUSetDense lowers B0 at batch 1 and 8 with the GPU set and
// checks that every dense GEMM kernel (1×1 and k×k convolutions, Winograd
// products, linear layers) is a cooperative one with buffer weights, and
// that Winograd is kept only where the GPU set's rule says (B0's 14×14
// convolutions at batch 1, every one the CPU set runs as Winograd at
// batch 8).
func TestLowerGPUSetDense(t *testing.T) {
	g, _, _ := referenceGraph(t, "b0")
	gpuSet := kernels.Target{Set: kernels.SetGPU}
	for _, n := range []int{1, 8} {
		shapes, err := g.Shapes(n, 224, 224)
		if err != nil {
			t.Fatal(err)
		}
		dense, winograd := 0, map[int]int{} // Winograd convolutions by image side
		for i, op := range g.Ops {
			steps, err := lowerOp(gpuSet, i, op, shapes)
			if err != nil {
				t.Fatalf("op %d (%s): %v", i, op.Label(), err)
			}
			for _, s := range steps {
				var co kernels.Coop
				var tex bool
				switch k := s.k.(type) {
				case kernels.Pointwise:
					co, tex = k.Coop, k.Tex
				case kernels.Conv:
					co, tex = k.Coop, k.Tex
				case kernels.Linear:
					co, tex = k.Coop, k.Tex
				case kernels.WinogradGemm:
					co, tex = k.Coop, k.Tex
					winograd[shapes[op.(*Conv).In].H]++
				default:
					continue
				}
				dense++
				if !co.On() || tex {
					t.Errorf("batch %d op %d: %s is not a cooperative kernel with buffer weights", n, i, s.k.Label())
				}
			}
		}
		// The CPU set runs every stride-1 3×3 convolution with ≥ 64 input
		// channels as Winograd (B0: stage 3's at 14×14, stage 4's at 7×7);
		// the GPU set keeps them all at batch 8 but runs the 7×7 ones
		// directly at batch 1 (29 MFLOP each).
		want := map[int]int{}
		for _, op := range g.Ops {
			if c, ok := op.(*Conv); ok && !c.Depthwise {
				s := shapes[c.In]
				if (kernels.Target{}).UseWinograd(s.N, s.H, s.W, c.Cin, c.Cout, c.K, c.Stride) && (n > 1 || s.H > 7) {
					want[s.H]++
				}
			}
		}
		if len(want) == 0 || len(winograd) != len(want) || winograd[14] != want[14] || winograd[7] != want[7] {
			t.Errorf("batch %d: Winograd convolutions by side %v, want %v", n, winograd, want)
		}
		t.Logf("batch %d: %d dense GEMM kernels, Winograd by side %v", n, dense, winograd)
	}
}
