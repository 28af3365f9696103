//go:build !js

package lowformer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/prereq"
)

// TestBackendTagsInWasm builds this package's tests for js/wasm as
// web/build.sh builds the browser files (lowformer_nocpu without wasm SIMD:
// lowformer.wasm; lowformer_nogpu with and without it: lowformer-cpu.wasm,
// lowformer-scalar.wasm) and runs TestMissingBackend in Node, which has no
// WebGPU. Skipped with -short, or without go or node on PATH (failed then
// with CI=true).
func TestBackendTagsInWasm(t *testing.T) {
	goBin, node, execJS := prereq.WasmInNode(t, "builds and runs three wasm test binaries")
	for _, b := range []struct{ file, tag, exp string }{
		{"lowformer.wasm", "lowformer_nocpu", ""},
		{"lowformer-cpu.wasm", "lowformer_nogpu", "simd"},
		{"lowformer-scalar.wasm", "lowformer_nogpu", ""},
	} {
		t.Run(b.file, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "lowformer.wasm")
			build := exec.Command(goBin, "test", "-c", "-tags", b.tag, "-o", bin, ".")
			build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOEXPERIMENT="+b.exp)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go test -c -tags %s for js/wasm: %v\n%s", b.tag, err, out)
			}
			out, err := exec.Command(node, "--stack-size=8192", execJS, bin, "-test.run", "^TestMissingBackend$", "-test.count=1", "-test.v").CombinedOutput()
			if strings.Contains(string(out), "--- SKIP: TestMissingBackend") {
				t.Skipf("TestMissingBackend skipped in wasm:\n%s", out)
			}
			if err != nil || !strings.Contains(string(out), "--- PASS: TestMissingBackend") {
				t.Fatalf("TestMissingBackend in wasm (-tags %s): %v\n%s", b.tag, err, out)
			}
			t.Logf("%s", out)
		})
	}
}
