// Package prereq lets a test that needs a tool or file this machine may
// lack (Node, Chromium, wgpu's naga) skip with a message saying what is
// missing, except under CI, where a missing prerequisite fails the test:
// CI installs everything, so a skip there would hide a broken setup.
// WasmInNode does the checks of a test that runs Go's wasm in Node.
package prereq

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// InCI reports whether the tests run in CI ($CI is "true" or "1").
func InCI() bool {
	ci := os.Getenv("CI")
	return ci == "true" || ci == "1"
}

// Missing skips t because a prerequisite is missing (the message says
// which), or fails it when InCI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// WasmInNode is the common start of a test that builds a GOOS=js
// GOARCH=wasm program and runs it in Node: it skips t with -short (why says
// what the test would build and run), finds go and node on PATH (Missing if
// either is not there) and returns them with the path of Go's
// lib/wasm/wasm_exec_node.js under `go env GOROOT` (Missing if that file
// is not there; go_js_wasm_exec lies beside it).
func WasmInNode(t testing.TB, why string) (goBin, node, wasmExec string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: " + why)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		Missing(t, "no go on PATH: %v", err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		Missing(t, "no node on PATH: %v", err)
	}
	out, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	wasmExec = filepath.Join(strings.TrimSpace(string(out)), "lib", "wasm", "wasm_exec_node.js")
	if _, err := os.Stat(wasmExec); err != nil {
		Missing(t, "no wasm_exec_node.js in the Go installation: %v", err)
	}
	return goBin, node, wasmExec
}
