//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/lowformer/lowformer-webgpu/gpu"
)

// envFallbackChild marks the re-executed test binary of
// TestDeviceFailureWithoutVulkanDriver.
const envFallbackChild = "LOWFORMER_TEST_NO_VULKAN_CHILD"

// checkDeviceFailure opens the tiny model with Backend Auto and GPU on an
// adapter request that fails for real (dev names a backend the process has
// no driver for): Auto must fall back to the CPU with one warning and give
// the CPU's logits; GPU must fail with gpu.ErrNoAdapter. Neither may leave
// a device open.
func checkDeviceFailure(t *testing.T, dev gpu.Options) {
	file := safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil)
	ctx := context.Background()
	before := gpu.OpenDevices()
	var warnings []string
	m, err := OpenBytes(ctx, file, Options{Backend: Auto, device: dev, Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatalf("Backend Auto without a device: %v", err)
	}
	defer m.Close()
	if got := m.Info().Backend; got != CPU {
		t.Fatalf("Backend Auto without a device runs on %v", got)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "no WebGPU device") || !strings.Contains(warnings[0], "running on the CPU") {
		t.Fatalf("warnings %q, want one saying the CPU is used and why", warnings)
	}
	checkCPULogits(t, "fallback", m)
	m2, err := OpenBytes(ctx, file, Options{Backend: GPU, device: dev})
	if err == nil {
		m2.Close()
		t.Fatal("Backend GPU without a device opened a model")
	}
	if !errors.Is(err, gpu.ErrNoAdapter) || !strings.HasPrefix(err.Error(), "lowformer: ") {
		t.Fatalf("Backend GPU without a device: error %v, want a lowformer error wrapping gpu.ErrNoAdapter", err)
	}
	if got := gpu.OpenDevices(); got != before {
		t.Fatalf("%d devices open after the failed opens, %d before", got, before)
	}
	t.Logf("Auto warned %q; GPU failed with %q", warnings[0], err)
}

// TestDeviceFailureFallsBack asks for adapters of backends this machine
// has no driver for (Metal, D3D12 on Linux): wgpu-native finds none.
func TestDeviceFailureFallsBack(t *testing.T) {
	for _, b := range []wgpu.BackendType{wgpu.BackendTypeMetal, wgpu.BackendTypeD3D12} {
		t.Run(b.String(), func(t *testing.T) {
			if d, err := gpu.Open(gpu.Options{Backend: b}); err == nil {
				d.Close()
				t.Skipf("this machine has a %s adapter", b)
			}
			checkDeviceFailure(t, gpu.Options{Backend: b})
		})
	}
}

// TestDeviceFailureWithoutVulkanDriver re-runs itself with the Vulkan
// loader pointed at a driver list that does not exist, and the adapter
// restricted to Vulkan: the failure of a machine without a Vulkan driver.
func TestDeviceFailureWithoutVulkanDriver(t *testing.T) {
	vulkan := gpu.Options{Backend: wgpu.BackendTypeVulkan}
	if os.Getenv(envFallbackChild) == "1" {
		checkDeviceFailure(t, vulkan)
		return
	}
	d, err := gpu.Open(vulkan)
	if err != nil {
		t.Skipf("no Vulkan adapter here to take away: %v", err)
	}
	d.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeviceFailureWithoutVulkanDriver$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envFallbackChild+"=1", "VK_ICD_FILENAMES=/nonexistent/icd.json", "VK_DRIVER_FILES=/nonexistent/icd.json")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Auto warned") {
		t.Fatalf("child test failed (%v):\n%s", err, out)
	}
}
