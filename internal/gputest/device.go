//go:build js || cgo

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

// openErr opens the shared device on first use and returns why there is
// none, if so. The adapter in use is logged once per test binary.
func openErr() error {
	once.Do(func() {
		dev, devErr = gpu.Open(gpu.Options{})
		if devErr == nil {
			os.Stderr.WriteString("gputest: WebGPU adapter: " + dev.Info.Description + "\n")
		}
	})
	return devErr
}

// Device returns a device shared by the tests of one test binary. Where
// there is none it skips the test, or fails it, as Require does.
func Device(t testing.TB) *gpu.Device {
	t.Helper()
	Require(t)
	return dev
}
