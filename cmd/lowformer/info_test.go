package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/labels"
	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/pretrained"
)

// b0Params is the parameter count in the b0 reference's manifest.json.
func b0Params(t *testing.T) int {
	t.Helper()
	var m struct {
		Params int `json:"params"`
	}
	if err := json.Unmarshal(fileBytes(t, filepath.Join(filepath.Dir(b0Weights(t)), "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	return m.Params
}

// TestInfoText checks the human-readable description of the .pt file.
func TestInfoText(t *testing.T) {
	pt := b0Weights(t)
	r := mustCLI(t, "info", pt)
	want, err := model.ConfigByName("b0")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"variant:         B0\n",
		"architecture:    " + want.String() + "\n",
		"parameters:      14100472 (14.1 M)\n",
		"format, dtype:   pytorch, F32\n",
		"input size:      224×224 (any size ≥ 32 works)\n",
		"classes:         1000 (tench; goldfish; great white shark; …)\n",
		"optimizer state: no\n",
	} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("info output lacks %q:\n%s", line, r.stdout)
		}
	}
}

// TestInfoJSON checks -json on the .pt file and on its f16 conversion.
func TestInfoJSON(t *testing.T) {
	want, err := model.ConfigByName("b0")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, format, dtype string
	}{
		{"pt", b0Weights(t), "pytorch", "F32"},
		{"f16", converted(t, "f16"), "safetensors", "F16"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rec infoRecord
			if err := json.Unmarshal([]byte(mustCLI(t, "info", "-json", c.path).stdout), &rec); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if rec.File != c.path || rec.FileBytes != st.Size() || rec.Variant != "B0" || rec.Config != want ||
				rec.Architecture != want.String() || rec.Params != b0Params(t) || rec.Format != c.format ||
				rec.DType != c.dtype || rec.NativeSide != 224 || rec.Classes != 1000 || rec.OptimizerState {
				t.Errorf("info -json gave %+v", rec)
			}
			if len(rec.Labels) != 1000 || rec.Labels[0] != labels.ImageNet[0] || rec.Labels[999] != labels.ImageNet[999] {
				t.Errorf("info -json labels: %d names", len(rec.Labels))
			}
		})
	}
}

// TestInfoErrors checks refusals of bad arguments and non-checkpoints.
func TestInfoErrors(t *testing.T) {
	dir := t.TempDir()
	pt := tinyWeights(t)
	checkErrors(t, []errCase{
		{"no file", []string{"info"}, 1, "missing checkpoint FILE argument"},
		{"two files", []string{"info", pt, pt}, 1, "unexpected arguments"},
		{"missing file", []string{"info", filepath.Join(dir, "none.pt")}, 1, "none.pt: no such file"},
		{"directory", []string{"info", dir}, 1, "holds no checkpoint (no .pt, .pth or .safetensors file"},
		{"image", []string{"info", testImage(t, "coffee.bmp")}, 1, "not a checkpoint"},
		{"truncated", []string{"info", tmpFile(t, "cut.pt", fileBytes(t, pt)[:4096])}, 1, "checkpoint: file is truncated or corrupt"},
	})
}

// TestInfoBuiltIn describes the built-in model: its input size comes from
// the file's metadata, not the ImageNet default.
func TestInfoBuiltIn(t *testing.T) {
	f := filepath.Join(t.TempDir(), "fmnist.safetensors")
	if err := os.WriteFile(f, pretrained.FashionMNIST(), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustCLI(t, "info", f)
	for _, line := range []string{"variant:         custom\n", fmt.Sprintf("input size:      %d×%d", pretrained.FashionMNISTSize, pretrained.FashionMNISTSize), "classes:         10 (T-shirt/top; Trouser;"} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("info output lacks %q:\n%s", line, r.stdout)
		}
	}
}
