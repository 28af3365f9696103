// Package gputest opens the shared test device for GPU tests.
package gputest

import (
	"os"
	"testing"
)

// Require skips the test, naming the reason, where this test binary has no
// WebGPU device: no adapter exists, or the binary was built without GPU
// support (natively without cgo). With LOWFORMER_REQUIRE_GPU=1 (set in CI)
// that is a failure instead.
func Require(t testing.TB) {
	t.Helper()
	if err := openErr(); err != nil {
		if os.Getenv("LOWFORMER_REQUIRE_GPU") == "1" {
			t.Fatalf("no WebGPU device although LOWFORMER_REQUIRE_GPU=1: %v", err)
		}
		t.Skipf("skipping: no WebGPU device (%v)", err)
	}
}
