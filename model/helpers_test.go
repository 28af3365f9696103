package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

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
func referenceGraph(t testing.TB, v string) (*Graph, Config, string) {
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
