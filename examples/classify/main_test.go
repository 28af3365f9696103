package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/refdata"
	"github.com/lowformer/lowformer-webgpu/labels"
)

// TestRun classifies a fixture photo with the b0 reference checkpoint on
// the CPU. The expected classes are the float64 reference's top-5 for this
// image (cmd/lowformer/testdata/classify_b0.json); their logits are at
// least 0.009 apart, so the order is stable.
func TestRun(t *testing.T) {
	weights := filepath.Join(refdata.Dir(t, "b0"), "evalmodel.pt")
	root, err := refdata.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(root, "preprocess", "testdata", "coffee_444_progressive.jpg")
	var out strings.Builder
	if err := run(context.Background(), weights, "cpu", []string{img}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []int{529, 505, 689, 696, 801}
	if len(lines) != 1+len(want) || lines[0] != img {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, idx := range want {
		if !strings.HasSuffix(lines[i+1], "%  "+labels.ImageNet[idx]) {
			t.Errorf("rank %d: %q, want class %d %q", i+1, lines[i+1], idx, labels.ImageNet[idx])
		}
	}
	if err := run(context.Background(), weights, "cpu", []string{filepath.Join(t.TempDir(), "none.jpg")}, &out); err == nil ||
		!strings.Contains(err.Error(), "none.jpg") {
		t.Errorf("missing image: error %v", err)
	}
}
