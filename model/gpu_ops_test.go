//go:build js || cgo

package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// randomWeights is a deterministic pseudo-random slice in [-s, s).
func randomWeights(n int, seed uint64, s float32) []float32 {
	out := make([]float32, n)
	x := seed*0x9E3779B97F4A7C15 + 7
	for i := range out {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		out[i] = (float32(x>>40)/float32(1<<23) - 1) * s
	}
	return out
}

// epilogueGraph uses every op type and every epilogue the lowering knows
// (activations, residuals on dense, depthwise and transposed convs, a class
// count that is not a multiple of 4), so that a lowering mistake such as a
// wrong binding order shows up as a GPU/CPU mismatch.
func epilogueGraph() *Graph {
	w := func(n int, seed uint64) []float32 { return randomWeights(n, seed, 0.5) }
	return &Graph{Classes: 10, Ops: []Op{
		&Conv{Name: "stem", In: 0, Out: 1, Residual: NoValue, K: 3, Stride: 1, Cin: 4, Cout: 8, Weight: w(9*4*8, 1), Bias: w(8, 2), Activation: act.HSwish},
		&Conv{Name: "dw", In: 1, Out: 2, Residual: 1, K: 3, Stride: 1, Cin: 8, Cout: 8, Depthwise: true, Weight: w(9*8, 3), Bias: w(8, 4), Activation: act.HSwish},
		&Conv{Name: "pw", In: 2, Out: 3, Residual: 2, K: 1, Stride: 1, Cin: 8, Cout: 8, Weight: w(8*8, 5), Bias: w(8, 6), Activation: act.GELU},
		&GroupNorm{Name: "gn", In: 3, Out: 4, Gamma: w(8, 7), Beta: w(8, 8)},
		&Conv{Name: "reduce", In: 4, Out: 5, Residual: NoValue, K: 5, Stride: 2, Cin: 8, Cout: 8, Depthwise: true, Weight: w(25*8, 9), Bias: w(8, 10)},
		&Conv{Name: "qkv", In: 5, Out: 6, Residual: NoValue, K: 1, Stride: 1, Cin: 8, Cout: 24, Weight: w(8*24, 11), Bias: make([]float32, 24)},
		&Attention{Name: "attn", In: 6, Out: 7, Heads: 1, HeadDim: 8},
		&ConvTranspose{Name: "up", In: 7, Out: 8, Residual: 4, CropTo: 4, Cin: 8, Cout: 8, Weight: w(16*8*8, 12), Bias: w(8, 13)},
		&MeanPool{Name: "pool", In: 8, Out: 9},
		&Linear{Name: "fc1", In: 9, Out: 10, K: 8, N: 12, Weight: w(8*12, 14), Bias: w(12, 15), Activation: act.HSwish},
		&LayerNorm{Name: "ln", In: 10, Out: 11, Gamma: w(12, 16), Beta: w(12, 17), Activation: act.HSwish},
		&Linear{Name: "fc2", In: 11, Out: 12, K: 12, N: 10, Weight: w(12*10, 18), Bias: w(10, 19)},
	}}
}

func TestGPUEveryEpilogue(t *testing.T) {
	dev := gputest.Device(t)
	g := epilogueGraph()
	m := NewGPU(dev, g, kernels.Target{})
	defer m.Close()
	for _, s := range []struct{ n, h, w int }{{2, 33, 47}, {1, 32, 32}} {
		checkAgainstCPU(t, m, g, randomWeights(s.n*3*s.h*s.w, 99, 2), s.n, s.h, s.w, fmt.Sprintf("%dx%dx%d", s.n, s.h, s.w))
	}
}

// TestFailedPlanLeavesNoWeights gives the graph an attention head of 132
// channels, which the graph accepts and the attention kernel refuses
// (at most 128), so that building the plan fails after the other ops'
// weights are on the device: the error names the op, the model holds no
// GPU memory afterwards, and once the graph is mended the same model plans
// and runs correctly.
func TestFailedPlanLeavesNoWeights(t *testing.T) {
	dev := gputest.Device(t)
	g := epilogueGraph()
	good := slices.Clone(g.Ops)
	g.Ops = wideAttention(good, 132)
	m := NewGPU(dev, g, kernels.Target{})
	defer m.Close()
	input := randomWeights(3*32*32, 99, 2)
	if _, err := m.Logits(input, 1, 32, 32); err == nil || !strings.Contains(err.Error(), "attention") {
		t.Fatalf("planning a 132-channel attention head: error %v, want one naming the attention kernel", err)
	}
	if b := m.MemoryBytes(); b != 0 {
		t.Errorf("the failed plan left %d bytes on the device", b)
	}
	g.Ops = good
	checkAgainstCPU(t, m, g, input, 1, 32, 32, "after the failed plan")
}

// wideAttention is a copy of the ops of epilogueGraph whose attention head
// has d channels (the qkv conv and the ConvTranspose widened to match).
func wideAttention(ops []Op, d int) []Op {
	q, a, u := *ops[5].(*Conv), *ops[6].(*Attention), *ops[7].(*ConvTranspose)
	q.Cout, q.Weight, q.Bias = 3*d, randomWeights(8*3*d, 11, 0.5), make([]float32, 3*d)
	a.HeadDim = d
	u.Cin, u.Weight = d, randomWeights(16*d*8, 12, 0.5)
	wide := slices.Clone(ops)
	wide[5], wide[6], wide[7] = &q, &a, &u
	return wide
}

// TestFailedPlanKeepsEarlierWeights builds a plan of the first five ops of
// epilogueGraph (with a pool and a classifier), then fails to plan the whole graph with a 132-channel
// attention head at another size (after uploading the later ops' weights):
// the weight and scratch stores are left exactly as the first plan left
// them, and the mended graph then plans and runs correctly.
func TestFailedPlanKeepsEarlierWeights(t *testing.T) {
	dev := gputest.Device(t)
	g := epilogueGraph()
	good := slices.Clone(g.Ops)
	g.Ops = append(slices.Clone(good[:5]),
		&MeanPool{Name: "pool", In: 5, Out: 6},
		&Linear{Name: "fc", In: 6, Out: 7, K: 8, N: 10, Weight: randomWeights(80, 20, 0.5), Bias: randomWeights(10, 21, 0.5)})
	m := NewGPU(dev, g, kernels.Target{})
	defer m.Close()
	if _, err := m.Plan(1, 32, 32); err != nil {
		t.Fatal(err)
	}
	weights, scratch, memory := m.weights.keys(), m.scratch.keys(), m.MemoryBytes()
	g.Ops = wideAttention(good, 132)
	if _, err := m.Plan(1, 40, 40); err == nil {
		t.Fatal("planning a 132-channel attention head succeeded")
	}
	if got := m.weights.keys(); !slices.Equal(got, weights) {
		t.Errorf("weights after the failed plan: %v, want %v", got, weights)
	}
	if got := m.scratch.keys(); !slices.Equal(got, scratch) {
		t.Errorf("scratch buffers after the failed plan: %v, want %v", got, scratch)
	}
	if got := m.MemoryBytes(); got != memory {
		t.Errorf("%d bytes on the device after the failed plan, %d before", got, memory)
	}
	g.Ops = good
	checkAgainstCPU(t, m, g, randomWeights(3*40*40, 98, 2), 1, 40, 40, "after the failed plan")
}

// checkAgainstCPU runs input (n images of h×w) through m and through the
// CPU path of g, and fails the test when the logits differ by more than
// 1e-5 of their max-abs.
func checkAgainstCPU(t *testing.T, m *GPU, g *Graph, input []float32, n, h, w int, what string) {
	t.Helper()
	want, err := NewCPU(g).Logits(input, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Logits(input, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if d := ref.MaxAbsDiff(got, want); d > 1e-5*max(1, ref.MaxAbs(want)) {
		t.Errorf("%s: GPU logits differ from the CPU path by %.3g (max-abs %.3g)", what, d, ref.MaxAbs(want))
	}
}
