//go:build !js

package jspromise

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/prereq"
)

// TestAwaitInNode runs this package's js tests (TestAwait) in Node through
// Go's go_js_wasm_exec. Skipped with -short, or without go or node on
// PATH (failed then with CI=true).
func TestAwaitInNode(t *testing.T) {
	goBin, _, wasmExec := prereq.WasmInNode(t, "builds and runs a wasm test binary")
	// go_js_wasm_exec runs wasm_exec_node.js with the node on PATH.
	cmd := exec.Command(goBin, "test", "-count=1", "-v",
		"-exec", filepath.Join(filepath.Dir(wasmExec), "go_js_wasm_exec"), ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestAwait (") {
		t.Fatalf("the js tests in Node: %v\n%s", err, out)
	}
	t.Logf("%d js subtests passed", strings.Count(string(out), "--- PASS: TestAwait/"))
}
