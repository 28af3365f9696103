package main

import (
	"path/filepath"
	"strings"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// TestWithoutGPUSupport checks the commands of a build without GPU support
// (natively without cgo: CGO_ENABLED=0 go test ./cmd/lowformer): help and
// info say so, bench runs on the CPU by default, and asking for the GPU is
// an error that says how to get it.
func TestWithoutGPUSupport(t *testing.T) {
	if lowformer.GPUSupported {
		t.Skip("this build has GPU support; CGO_ENABLED=0 go test runs this test")
	}
	weights := tinyWeights(t)
	const noGPU = "this build has no GPU support (it was built without cgo, or with -tags lowformer_nogpu); for the WebGPU backend build with cgo: CGO_ENABLED=1"
	for _, args := range [][]string{{"help"}, {"info", weights}} {
		if r := mustCLI(t, args...); !strings.Contains(r.stdout, "cpu only (this build has no GPU support") {
			t.Errorf("lowformer %s does not say that this build runs on the CPU only:\n%s", args[0], r.stdout)
		}
	}
	if r := benchJSON(t, "-weights", weights, "-size", "32", "-runs", "1", "-warmup", "0"); r.Backend != "cpu" || r.Adapter != "cpu (pure Go)" {
		t.Errorf("bench: backend %q on %q, want cpu by default", r.Backend, r.Adapter)
	}
	in := tmpFile(t, "in32.bin", make([]byte, 4*3*32*32))
	out := filepath.Join(t.TempDir(), "out.bin")
	checkErrors(t, []errCase{
		{"logits on the GPU", []string{"logits", "-weights", weights, "-input", in, "-shape", "1,3,32,32", "-o", out, "-backend", "gpu"}, 1, "lowformer logits: " + noGPU},
		{"classify on the GPU", []string{"classify", "-weights", weights, "-backend", "gpu", testImage(t, "chelsea_420.jpg")}, 1, "lowformer classify: " + noGPU},
		{"bench on the GPU", []string{"bench", "-weights", weights, "-backend", "gpu"}, 1, "lowformer bench: " + noGPU},
		{"bench -profile", []string{"bench", "-weights", weights, "-profile"}, 1, "lowformer bench: " + noGPU},
	})
}
