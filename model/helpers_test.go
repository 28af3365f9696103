package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/refdata"
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

// synthUniform is u_i of gen_variants.py: splitmix64 of the key's FNV-1a
// hash plus (i+1)·golden ratio, top 24 bits scaled to [0,1).
func synthUniform(h uint64, i int) float64 {
	z := h + uint64(i+1)*0x9E3779B97F4A7C15
	z ^= z >> 30
	z *= 0xBF58476D1CE4E5B9
	z ^= z >> 27
	z *= 0x94D049BB133111EB
	z ^= z >> 31
	return float64(z>>40) / (1 << 24)
}

// fnv1a64 is the 64-bit FNV-1a hash.
func fnv1a64(s string) uint64 {
	h := uint64(0xCBF29CE484222325)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 0x100000001B3
	}
	return h
}

// synthValues returns the deterministic synthetic values of one state-dict
// entry, with the formula documented in testdata/gen_variants.py.
func synthValues(p ParamSpec) []float32 {
	h, n := fnv1a64(p.Key), p.Numel()
	out := make([]float32, n)
	var f func(u float64) float64
	switch {
	case strings.HasSuffix(p.Key, ".running_var") || (len(p.Shape) == 1 && strings.HasSuffix(p.Key, ".weight")):
		f = func(u float64) float64 { return 0.5 + u }
	case strings.HasSuffix(p.Key, ".running_mean") || strings.HasSuffix(p.Key, ".bias"):
		f = func(u float64) float64 { return (2*u - 1) * 0.2 }
	default:
		fan := 1.0
		for _, d := range p.Shape[1:] {
			fan *= float64(d)
		}
		if strings.HasSuffix(p.Key, "upsampling.weight") {
			k := float64(p.Shape[2])
			fan = float64(p.Shape[0]) * k * k
			if k == 4 {
				fan /= 4
			}
		}
		gain := 1.0
		switch {
		case strings.Contains(p.Key, "pwise"):
			gain = 2
		case strings.Contains(p.Key, "upsampling"):
			gain = 0.3
		}
		scale := gain * math.Sqrt(3/fan)
		f = func(u float64) float64 { return (2*u - 1) * scale }
	}
	for i := range out {
		out[i] = float32(f(synthUniform(h, i)))
	}
	return out
}

// synthStateDict returns the deterministic synthetic state dict of cfg.
func synthStateDict(t testing.TB, cfg Config) *checkpoint.StateDict {
	t.Helper()
	specs, err := ExpectedParams(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sd := &checkpoint.StateDict{Tensors: map[string]*checkpoint.Tensor{}}
	for _, p := range specs {
		ts := &checkpoint.Tensor{Shape: p.Shape, DType: checkpoint.F32}
		if p.Int {
			ts.DType, ts.I64 = checkpoint.I64, []int64{0}
		} else {
			ts.F32 = synthValues(p)
		}
		sd.Tensors[p.Key] = ts
		sd.Keys = append(sd.Keys, p.Key)
	}
	return sd
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
