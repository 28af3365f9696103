// Package gputest opens the shared test device for GPU tests.
package gputest

import (
	"os"
	"sync"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
)

var (
	once   sync.Once
	dev    *gpu.Device
	devErr error
)

// Device returns a device shared by the tests of one test binary. It skips
// the test, naming the reason, only where no adapter exists at all; with
// LOWFORMER_REQUIRE_GPU=1 (set in CI) that is a failure instead.
// The adapter in use is logged once per test binary.
func Device(t testing.TB) *gpu.Device {
	t.Helper()
	once.Do(func() {
		dev, devErr = gpu.Open(gpu.Options{})
		if devErr == nil {
			os.Stderr.WriteString("gputest: WebGPU adapter: " + dev.Info.Description + "\n")
		}
	})
	if devErr != nil {
		if os.Getenv("LOWFORMER_REQUIRE_GPU") == "1" {
			t.Fatalf("no WebGPU adapter although LOWFORMER_REQUIRE_GPU=1: %v", devErr)
		}
		t.Skipf("skipping: no WebGPU adapter on this machine (%v)", devErr)
	}
	return dev
}
