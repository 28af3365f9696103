package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/internal/synth"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// sharedDir returns ../shared relative to the repository root, or skips
// the test when the reference data is absent.
func sharedDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(refdata.Dir(t, "b0"), "..", "..", "..")
}

// readF32 reads a raw little-endian float32 file.
func readF32(t *testing.T, path string) []float32 { return refdata.MustF32(t, path) }

// binMeta is the .json file beside a reference .bin.
type binMeta = refdata.Meta

// readBin reads a reference .bin and its .json description.
func readBin(t *testing.T, path string) ([]float32, binMeta) { return refdata.ReadBin(t, path) }

// referenceGraph reads shared/testdata/lowformer/<v>/evalmodel.pt and builds
// its graph; it returns the graph and the reference folder.
func referenceGraph(t *testing.T, v string) (*Graph, Config, string) {
	t.Helper()
	dir := refdata.Dir(t, v)
	sd, err := checkpoint.ReadFile(filepath.Join(dir, "evalmodel.pt"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ResolveConfig(v, sd)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(cfg, sd)
	if err != nil {
		t.Fatal(err)
	}
	return g, cfg, dir
}

// variantCases reads testdata/variants/manifest.json.
func variantCases(t *testing.T) []variantCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "variants", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []variantCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// synthStateDict returns the deterministic synthetic state dict of cfg
// (internal/synth: the weights of testdata/gen_variants.py).
func synthStateDict(t testing.TB, cfg Config) *checkpoint.StateDict {
	t.Helper()
	specs, err := ExpectedParams(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return synth.StateDict(len(specs), func(i int) (string, []int, bool) { return specs[i].Key, specs[i].Shape, specs[i].Int })
}

// mustConfig returns a released variant.
func mustConfig(t testing.TB, name string) Config {
	t.Helper()
	c, err := ConfigByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

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
