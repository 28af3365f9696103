package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/refdata"
)

// TestFeaturesReference runs the first image of the b0 reference input
// through "features -stages 4,0,2" on the CPU and checks the stage lines
// (stage, NCHW shape, offset) and each stage's values against PyTorch's
// activation of that stage (within 1e-4 of its max-abs).
func TestFeaturesReference(t *testing.T) {
	in, _ := b0Input1(t)
	out := filepath.Join(t.TempDir(), "features.bin")
	r := mustCLI(t, "features", "-weights", b0Weights(t), "-backend", "cpu", "-stages", "4,0,2", "-input", in, "-shape", "1,3,224,224", "-o", out)
	got := readOutput(t, out)
	var lines []string
	offset := 0
	for _, s := range []int{4, 0, 2} {
		act, meta := refdata.ReadBin(t, filepath.Join(refdata.Dir(t, "b0"), "act", fmt.Sprintf("stage%d.bin", s)))
		c, h, w := meta.Shape[1], meta.Shape[2], meta.Shape[3]
		lines = append(lines, fmt.Sprintf("stage\t%d\t1,%d,%d,%d\t%d", s, c, h, w, offset))
		want := act[:c*h*w] // the first image of the reference batch
		if offset+len(want) > len(got) {
			t.Fatalf("stage %d: output has %d values, want at least %d", s, len(got), offset+len(want))
		}
		scale := 0.0
		for _, v := range want {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		if d := maxAbsDiff(t, got[offset:offset+len(want)], want); d > 1e-4*scale {
			t.Errorf("stage %d: max |feature - reference| = %.3g, want ≤ 1e-4 × %.3g", s, d, scale)
		}
		offset += len(want)
	}
	if len(got) != offset {
		t.Errorf("output has %d values, want %d", len(got), offset)
	}
	if want := strings.Join(lines, "\n") + "\n"; r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// TestFeaturesErrors checks the command's refusals.
func TestFeaturesErrors(t *testing.T) {
	withoutDefaultWeights(t)
	weights := tinyWeights(t)
	in := tmpFile(t, "in.bin", make([]byte, 4*3*32*32))
	out := filepath.Join(t.TempDir(), "out.bin")
	base := []string{"features", "-weights", weights, "-backend", "cpu", "-input", in, "-shape", "1,3,32,32", "-o", out}
	checkErrors(t, []errCase{
		{"no output", []string{"features", "-weights", weights, "-input", in, "-shape", "1,3,32,32"}, 1, "-o is required"},
		{"bad stage list", append(base, "-stages", "1,x"), 1, `-stages "1,x": want comma-separated stage numbers`},
		{"no such stage", append(base, "-stages", "5"), 1, "stage 5 does not exist (stages are 0..4)"},
		{"images", []string{"features", "-weights", weights, "cat.jpg"}, 1, "this command takes flags only"},
		{"short input", []string{"features", "-weights", weights, "-input", in, "-shape", "1,3,64,64", "-o", out}, 1, "in.bin"},
	})
}
