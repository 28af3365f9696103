//go:build js || cgo

package model

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// describeSteps writes the lowering of one op as "Family(operands) ...":
// the kernel type, then each operand as v<value>, w:<part>[.tex] or
// s:<role>.
func describeSteps(steps []step) string {
	var out []string
	for _, s := range steps {
		var ops []string
		for _, o := range s.operands {
			switch o.kind {
			case valueOperand:
				ops = append(ops, fmt.Sprintf("v%d", o.value))
			case weightOperand:
				d := "w:" + o.weight.key.part
				if o.weight.key.tex {
					d += ".tex"
				}
				ops = append(ops, d)
			case scratchOperand:
				ops = append(ops, "s:"+o.scratch.role)
			}
		}
		out = append(out, fmt.Sprintf("%s(%s)", strings.TrimPrefix(fmt.Sprintf("%T", s.k), "kernels."), strings.Join(ops, " ")))
	}
	return strings.Join(out, " ")
}

// TestLowerOpKernelsAndOperands lowers one op of every type and every conv
// path and checks the kernel families, in dispatch order, and what each
// binding is.
func TestLowerOpKernelsAndOperands(t *testing.T) {
	w := func(n int) []float32 { return randomWeights(n, 1, 0.5) }
	in := func(c int) []Shape { return []Shape{{1, 16, 16, c}, {1, 16, 16, c}, {1, 16, 16, c}} }
	cases := []struct {
		name   string
		op     Op
		shapes []Shape
		want   string
	}{
		{"depthwise", &Conv{In: 0, Out: 2, Residual: 1, K: 3, Stride: 1, Cin: 8, Cout: 8, Depthwise: true, Weight: w(72), Bias: w(8), Activation: act.HSwish},
			in(8), "Depthwise(v0 w:w w:b v1 v2)"},
		{"pointwise", &Conv{In: 0, Out: 1, Residual: NoValue, K: 1, Stride: 1, Cin: 8, Cout: 16, Weight: w(128), Bias: w(16)},
			in(8), "Pointwise(v0 w:w w:b v1)"},
		{"direct", &Conv{In: 0, Out: 1, Residual: NoValue, K: 3, Stride: 2, Cin: 8, Cout: 16, Weight: w(9 * 128), Bias: w(16)},
			in(8), "Conv(v0 w:w w:b v1)"},
		{"winograd", &Conv{In: 0, Out: 2, Residual: 1, K: 3, Stride: 1, Cin: 64, Cout: 64, Weight: w(9 * 64 * 64), Bias: w(64)},
			in(64), "WinogradInput(v0 s:winograd.V) WinogradGemm(s:winograd.V w:winograd# s:winograd.M) WinogradOutput(s:winograd.M w:b v1 v2)"},
		{"convtranspose", &ConvTranspose{In: 0, Out: 2, Residual: 1, CropTo: 1, Cin: 8, Cout: 8, Weight: w(16 * 64), Bias: w(8)},
			in(8), "ConvTranspose(v0 w:w w:b v1 v2)"},
		{"meanpool", &MeanPool{In: 0, Out: 1}, in(8), "MeanPool(v0 v1)"},
		{"attention", &Attention{In: 0, Out: 1, Heads: 1, HeadDim: 8}, in(24), "Attention(v0 v1)"},
		{"groupnorm", &GroupNorm{In: 0, Out: 1, Gamma: w(8), Beta: w(8)},
			in(8), "GroupNormStats(v0 s:groupnorm.stats) GroupNormApply(v0 s:groupnorm.stats w:gamma w:beta v1)"},
		{"linear", &Linear{In: 0, Out: 1, K: 8, N: 10, Weight: w(80), Bias: w(10)},
			[]Shape{{2, 1, 1, 8}, {2, 1, 1, 10}}, "Linear(v0 w:w w:b v1)"},
		{"layernorm", &LayerNorm{In: 0, Out: 1, Gamma: w(8), Beta: w(8)},
			[]Shape{{2, 1, 1, 8}, {2, 1, 1, 8}}, "LayerNorm(v0 w:gamma w:beta v1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			steps, err := lowerOp(kernels.Target{}, 3, c.op, c.shapes)
			if err != nil {
				t.Fatal(err)
			}
			got := describeSteps(steps)
			// Texture or buffer and the Winograd tile side are the kernels'
			// choice, not the lowering's.
			got = strings.ReplaceAll(got, ".tex", "")
			for _, m := range []string{"2", "4", "6"} {
				got = strings.ReplaceAll(got, "w:winograd"+m, "w:winograd#")
			}
			if got != c.want {
				t.Errorf("lowered to\n  %s\nwant\n  %s", got, c.want)
			}
			for _, s := range steps {
				for _, o := range s.operands {
					if o.kind == weightOperand && o.weight.key.op != 3 {
						t.Errorf("weight %q is keyed to op %d, want 3", o.weight.key.part, o.weight.key.op)
					}
				}
			}
		})
	}
}

// TestLowerOpWeightData checks that weight operands give their floats
// raw, packed or transformed, that a texture's rows divide them, and that
// a bad op is refused.
func TestLowerOpWeightData(t *testing.T) {
	g := epilogueGraph()
	shapes, err := g.Shapes(2, 33, 47)
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range g.Ops {
		steps, err := lowerOp(kernels.Target{}, i, op, shapes)
		if err != nil {
			t.Fatalf("op %d (%s): %v", i, op.Label(), err)
		}
		for _, s := range steps {
			for _, o := range s.operands {
				if o.kind != weightOperand {
					continue
				}
				data, err := o.weight.data()
				if err != nil || len(data) == 0 {
					t.Errorf("op %d %s: %d floats, error %v", i, o.weight.key.part, len(data), err)
				}
				if o.weight.key.tex && (o.weight.rows <= 0 || len(data)%(4*o.weight.rows) != 0) {
					t.Errorf("op %d %s: texture of %d rows for %d floats", i, o.weight.key.part, o.weight.rows, len(data))
				}
			}
		}
	}
	// The weights are packed, and their size checked, on upload.
	bad := &Linear{In: 0, Out: 1, K: 8, N: 10, Weight: make([]float32, 79)}
	steps, err := lowerOp(kernels.Target{}, 0, bad, []Shape{{1, 1, 1, 8}, {1, 1, 1, 10}})
	if err != nil {
		t.Fatal(err)
	}
	if w := steps[0].operands[1]; w.kind != weightOperand || w.weight.key.part != "w" {
		t.Fatalf("operand 1 of the linear layer is %+v, want its weights", w)
	} else if _, err := w.weight.data(); err == nil {
		t.Error("a linear layer with 79 of 80 weights was packed")
	}
}
