package lowformer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/internal/synth"
	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// tinyConfig is about the smallest valid LowFormer: every stage present, one
// attention+MLP LowFormer block in stages 3 and 4, 4 to 8 channels, 3
// classes. Its safetensors file is a few kB, which makes it the seed of
// FuzzOpenBytes.
var tinyConfig = model.Config{Name: model.CustomName, Widths: [5]int{4, 4, 4, 8, 8}, Depths: [5]int{0, 1, 1, 1, 1},
	Stage12Expand: 1, Stage34Expand: 1, Head: [2]int{4, 4}, Attention: true, MLP: true, Classes: 3}

// smallConfig is a small network that still exercises every kernel family
// (stem blocks, several channel widths, attention+MLP, a real head) at a
// fraction of B0's cost: the model of the concurrency and leak tests.
var smallConfig = model.Config{Name: model.CustomName, Widths: [5]int{8, 16, 24, 32, 48}, Depths: [5]int{1, 1, 2, 1, 1},
	StemExpand: 2, Stage12Expand: 2, Stage34Expand: 2, Head: [2]int{64, 64}, Attention: true, MLP: true, Classes: 10}

// synthStateDict returns the deterministic synthetic state dict of cfg
// (internal/synth).
func synthStateDict(t testing.TB, cfg model.Config) *checkpoint.StateDict {
	t.Helper()
	specs, err := model.ExpectedParams(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return synth.StateDict(len(specs), func(i int) (string, []int, bool) { return specs[i].Key, specs[i].Shape, specs[i].Int })
}

// safetensorsOf writes sd as a safetensors file in dtype.
func safetensorsOf(t testing.TB, sd *checkpoint.StateDict, dtype checkpoint.DType, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := checkpoint.WriteSafetensors(&buf, sd, dtype, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// synthInput returns a deterministic normalized NCHW batch.
func synthInput(n, h, w int, seed uint64) []float32 {
	out := make([]float32, n*3*h*w)
	for i := range out {
		out[i] = float32(4*synth.Uniform(seed, i) - 2)
	}
	return out
}

// refDir returns the shared reference folder of variant when it exists
// (for the tests that use it as an extra case rather than skip without it).
func refDir(variant string) (string, bool) {
	root, err := refdata.RepoRoot()
	if err != nil {
		return "", false
	}
	dir := filepath.Join(root, "..", "shared", "testdata", "lowformer", variant)
	_, err = os.Stat(filepath.Join(dir, "evalmodel.pt"))
	return dir, err == nil
}

// requireGPU skips the test without a WebGPU adapter (a failure with
// LOWFORMER_REQUIRE_GPU=1), as every GPU test of the project does.
func requireGPU(t *testing.T) {
	t.Helper()
	gputest.Require(t)
}

// openOn opens a checkpoint held in memory on be; GPU skips (or fails in
// CI) where there is no adapter.
func openOn(t *testing.T, file []byte, be Backend) *Model {
	t.Helper()
	if be == GPU {
		requireGPU(t)
	}
	m, err := OpenBytes(context.Background(), file, Options{Backend: be})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
