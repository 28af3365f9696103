package main

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/labels"
	"github.com/lowformer/lowformer-webgpu/pretrained"
)

// TestRun classifies a fixture photo with the tiny test checkpoint
// (testdata/tiny.pt, 3 classes: every class printed) and refuses a missing
// image; then, where the shared reference data is present, with the b0
// reference checkpoint on the CPU. The expected B0 classes are the float64
// reference's top-5 for this image (cmd/lowformer/testdata/classify_b0.json);
// their logits are at least 0.009 apart, so the order is stable.
func TestRun(t *testing.T) {
	root, err := refdata.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(root, "preprocess", "testdata", "coffee_444_progressive.jpg")
	tiny := filepath.Join(root, "testdata", "tiny.pt")
	lines := runLines(t, tiny, img)
	if len(lines) != 4 || lines[0] != img {
		t.Fatalf("tiny model output %q: want the path and its 3 classes", lines)
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, "%  class ") {
			t.Errorf("line %q: want a probability and a class name", l)
		}
	}
	var out strings.Builder
	if err := run(context.Background(), tiny, "cpu", []string{filepath.Join(t.TempDir(), "none.jpg")}, &out); err == nil ||
		!strings.Contains(err.Error(), "none.jpg") {
		t.Errorf("missing image: error %v", err)
	}

	lines = runLines(t, filepath.Join(refdata.Dir(t, "b0"), "evalmodel.pt"), img) // skips here without ../shared
	want := []int{529, 505, 689, 696, 801}
	if len(lines) != 1+len(want) || lines[0] != img {
		t.Fatalf("output:\n%s", strings.Join(lines, "\n"))
	}
	for i, idx := range want {
		if !strings.HasSuffix(lines[i+1], "%  "+labels.ImageNet[idx]) {
			t.Errorf("rank %d: %q, want class %d %q", i+1, lines[i+1], idx, labels.ImageNet[idx])
		}
	}
}

// runLines runs the example on the CPU with weights on img and returns its
// output lines.
func runLines(t *testing.T, weights, img string) []string {
	t.Helper()
	var out strings.Builder
	if err := run(context.Background(), weights, "cpu", []string{img}, &out); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

// TestRunBuiltIn: without -weights the example uses the built-in
// Fashion-MNIST model, like the CLI, and names its classes.
func TestRunBuiltIn(t *testing.T) {
	imgs, classes := pretrained.Samples()
	p := filepath.Join(t.TempDir(), "sample.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, imgs[0]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	lines := runLines(t, "", p)
	if len(lines) != 6 || lines[0] != p {
		t.Fatalf("output %q: want the path and 5 classes", lines)
	}
	m, err := lowformer.OpenBytes(context.Background(), pretrained.FashionMNIST(), lowformer.Options{Backend: lowformer.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if want := m.Info().Labels[classes[0]]; !strings.HasSuffix(lines[1], "%  "+want) {
		t.Errorf("top class %q, want %q", lines[1], want)
	}
}
