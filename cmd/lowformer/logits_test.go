package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// TestLogitsReference runs the first image of the b0 reference input
// through "logits" on each backend and compares with the reference logits.
func TestLogitsReference(t *testing.T) {
	for _, backend := range []string{"cpu", "gpu"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "gpu" {
				gputest.Require(t)
			}
			in, want := b0Input1(t)
			out := filepath.Join(t.TempDir(), "logits.bin")
			mustCLI(t, "logits", "-weights", b0Weights(t), "-input", in, "-shape", "1,3,224,224", "-o", out, "-backend", backend)
			got := readOutput(t, out)
			if d := maxAbsDiff(t, got, want); d > 2e-4 {
				t.Errorf("max |logits - reference| = %.3g on %s, want ≤ 2e-4", d, backend)
			} else {
				t.Logf("max |logits - reference| = %.3g on %s", d, backend)
			}
		})
	}
}

// TestLogitsErrors checks that malformed invocations fail with a message
// naming the problem, before any model is loaded where possible.
func TestLogitsErrors(t *testing.T) {
	withoutDefaultWeights(t)
	weights := tinyWeights(t)
	in := tmpFile(t, "in.bin", make([]byte, 4*3*224*224)) // one 224×224 image
	out := filepath.Join(t.TempDir(), "out.bin")
	tiny := tmpFile(t, "tiny.bin", make([]byte, 4*3*16*16))
	dir := t.TempDir()
	base := func(extra ...string) []string {
		return append([]string{"logits", "-weights", weights, "-input", in, "-o", out, "-backend", "cpu"}, extra...)
	}
	checkErrors(t, []errCase{
		{"no weights", []string{"logits", "-input", in, "-shape", "1,3,224,224", "-o", out}, 1, "-weights is required"},
		{"no input", []string{"logits", "-weights", weights, "-shape", "1,3,224,224", "-o", out}, 1, "-input is required"},
		{"no shape", base(), 1, "-shape is required"},
		{"no output", []string{"logits", "-weights", weights, "-input", in, "-shape", "1,3,224,224"}, 1, "-o is required"},
		{"three dims", base("-shape", "3,224,224"), 1, "want four comma-separated sizes N,3,H,W"},
		{"not a number", base("-shape", "1,3,x,224"), 1, `"x" is not a positive integer`},
		{"zero batch", base("-shape", "0,3,224,224"), 1, `"0" is not a positive integer`},
		{"four channels", base("-shape", "1,4,224,224"), 1, "the channel dimension must be 3"},
		{"too small", base("-shape", "1,3,16,16"), 1, "H and W must be at least 32"},
		{"too large", base("-shape", "100000,3,224,224"), 1, "is too large"},
		{"input size mismatch", base("-shape", "2,3,224,224"), 1, "has 602112 bytes, the shape needs 1204224"},
		{"tiny input", []string{"logits", "-weights", weights, "-input", tiny, "-shape", "1,3,32,32", "-o", out}, 1, "has 3072 bytes, the shape needs 12288"},
		{"missing input", base("-shape", "1,3,224,224", "-input", filepath.Join(dir, "none.bin")), 1, "none.bin: no such file"},
		{"missing weights", base("-shape", "1,3,224,224", "-weights", filepath.Join(dir, "none.pt")), 1, "opening weights"},
		{"weights directory", base("-shape", "1,3,224,224", "-weights", dir), 1, "holds no checkpoint (no .pt, .pth or .safetensors file"},
		{"bad backend", base("-shape", "1,3,224,224", "-backend", "tpu"), 1, `unknown backend "tpu"`},
		{"wrong variant", base("-shape", "1,3,224,224", "-variant", "E1"), 1, "E1"},
		{"positional argument", base("-shape", "1,3,224,224", "extra"), 1, `unexpected arguments ["extra"]`},
	})
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed run wrote %s", out)
	}
}
