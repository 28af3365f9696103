//go:build !js

package cpukernels

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/prereq"
)

// wasmTests are the tests TestKernelsInWasm runs in wasm: the GEMM's (its
// wasm micro-tile reads and writes through pointers after one size check)
// and those of the kernels built on it, and the depthwise kernel's (its
// vector loop's blocks and channel tails at wasm's vector length).
const wasmTests = "GemmBlock|GemmMatches|ConvTMatches|WinogradMatches|AttentionMatches|Depthwise"

// TestKernelsInWasm builds this package's tests for js/wasm, with and
// without GOEXPERIMENT=simd, and runs wasmTests in Node: the wasm GEMM
// micro-tile runs only there. Skipped with -short, or without go or node
// on PATH (failed then with CI=true).
func TestKernelsInWasm(t *testing.T) {
	goBin, node, execJS := prereq.WasmInNode(t, "builds and runs two wasm test binaries")
	for _, exp := range []string{"simd", ""} {
		t.Run("GOEXPERIMENT="+exp, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "cpukernels.wasm")
			build := exec.Command(goBin, "test", "-c", "-o", bin, ".")
			build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOEXPERIMENT="+exp)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go test -c for js/wasm: %v\n%s", err, out)
			}
			run := exec.Command(node, "--stack-size=8192", execJS, bin, "-test.run", wasmTests, "-test.count=1", "-test.v")
			out, err := run.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestGemmBlockOddShapes") {
				t.Fatalf("wasm tests (%s): %v\n%s", wasmTests, err, out)
			}
			t.Logf("%d wasm tests and subtests passed", strings.Count(string(out), "--- PASS: Test"))
		})
	}
}
