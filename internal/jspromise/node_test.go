//go:build !js

package jspromise

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/prereq"
)

// TestAwaitInNode runs this package's js tests (TestAwait) in Node through
// Go's go_js_wasm_exec. Skipped with -short; without node it is skipped,
// or failed with CI=true.
func TestAwaitInNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs a wasm test binary")
	}
	if _, err := exec.LookPath("node"); err != nil {
		prereq.Missing(t, "no node on PATH: %v", err)
	}
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "test", "-count=1", "-v",
		"-exec", filepath.Join(runtime.GOROOT(), "lib", "wasm", "go_js_wasm_exec"), ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestAwait (") {
		t.Fatalf("the js tests in Node: %v\n%s", err, out)
	}
	t.Logf("%d js subtests passed", strings.Count(string(out), "--- PASS: TestAwait/"))
}
