//go:build !js && cgo

package gpu_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

func live(t *testing.T, d *gpu.Device) map[string]int {
	t.Helper()
	m, ok := d.LiveObjects()
	if !ok {
		t.Fatal("LiveObjects reports nothing on an open native device")
	}
	return m
}

// TestLiveObjectsCountsCreationsAndReleases checks that the registry report
// sees every object the program creates and releases, the staging buffer
// and command buffer of a readback included.
func TestLiveObjectsCountsCreationsAndReleases(t *testing.T) {
	gputest.Device(t) // skip (or fail under LOWFORMER_REQUIRE_GPU=1) without an adapter
	before := gpu.OpenDevices()
	// A device of the test's own: its counts are not shared with other tests.
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := gpu.OpenDevices(); got != before+1 {
		t.Fatalf("OpenDevices = %d after Open, want %d", got, before+1)
	}
	base := live(t, d)
	if base["devices"] != 1 || base["adapters"] != 1 {
		t.Fatalf("a fresh device reports %v, want one device and one adapter", base)
	}
	p, err := d.CreatePipeline("double", doubleWGSL, []gpu.BindingKind{gpu.ReadStorage, gpu.WriteStorage})
	if err != nil {
		t.Fatal(err)
	}
	x, err := d.NewBufferFloats("x", make([]float32, 1000))
	if err != nil {
		t.Fatal(err)
	}
	y, err := d.NewBuffer("y", 4000)
	if err != nil {
		t.Fatal(err)
	}
	bg, err := d.BindGroup(p, gpu.BufferRes(x), gpu.BufferRes(y))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Run([]gpu.Dispatch{{Pipeline: p, Group: bg, X: 16, Y: 1, Z: 1}}, y, 0, 1000); err != nil {
		t.Fatal(err)
	}
	got := live(t, d)
	for name, want := range map[string]int{"buffers": base["buffers"] + 2, "bind_groups": base["bind_groups"] + 1,
		"compute_pipelines": base["compute_pipelines"] + 1, "bind_group_layouts": base["bind_group_layouts"] + 1,
		"command_buffers": base["command_buffers"], "shader_modules": base["shader_modules"]} {
		if got[name] != want {
			t.Errorf("%s: %d live after creating the pipeline, two buffers and a bind group and one run, want %d", name, got[name], want)
		}
	}
	bg.Release()
	x.Release()
	y.Release()
	p.Release()
	got = live(t, d)
	for name, n := range got {
		if n != base[name] {
			t.Errorf("%s: %d live after releasing everything, %d before", name, n, base[name])
		}
	}
	d.Close()
	if _, ok := d.LiveObjects(); ok {
		t.Error("LiveObjects answers on a closed device")
	}
	if got := gpu.OpenDevices(); got != before {
		t.Fatalf("OpenDevices = %d after Close, want %d", got, before)
	}
	d.Close() // idempotent: must not decrement twice
	if got := gpu.OpenDevices(); got != before {
		t.Fatalf("OpenDevices = %d after a second Close, want %d", got, before)
	}
}

// TestOpenFailsWithoutTheBackend asks for backends this Linux machine has
// no driver for: wgpu-native finds no adapter, and Open must say so with
// ErrNoAdapter instead of panicking or returning a half-open device.
func TestOpenFailsWithoutTheBackend(t *testing.T) {
	for _, b := range []wgpu.BackendType{wgpu.BackendTypeMetal, wgpu.BackendTypeD3D12} {
		t.Run(b.String(), func(t *testing.T) {
			before := gpu.OpenDevices()
			d, err := gpu.Open(gpu.Options{Backend: b})
			if err == nil {
				d.Close()
				t.Skipf("this machine has a %s adapter", b)
			}
			if !errors.Is(err, gpu.ErrNoAdapter) {
				t.Fatalf("error %v is not ErrNoAdapter", err)
			}
			if got := gpu.OpenDevices(); got != before {
				t.Fatalf("a failed Open left OpenDevices at %d, want %d", got, before)
			}
		})
	}
}

// envNoVulkanChild marks the re-executed test binary of
// TestOpenFailsWithoutVulkanDriver.
const envNoVulkanChild = "LOWFORMER_GPU_TEST_NO_VULKAN_CHILD"

// TestOpenFailsWithoutVulkanDriver re-runs this test binary with the Vulkan
// loader pointed at a driver list that does not exist and the instance
// restricted to Vulkan: the real failure of a machine without a Vulkan
// driver, which must be ErrNoAdapter.
func TestOpenFailsWithoutVulkanDriver(t *testing.T) {
	if os.Getenv(envNoVulkanChild) == "1" {
		d, err := gpu.Open(gpu.Options{Backend: wgpu.BackendTypeVulkan})
		if err == nil {
			d.Close()
			t.Fatal("opened a Vulkan device without any Vulkan driver")
		}
		if !errors.Is(err, gpu.ErrNoAdapter) {
			t.Fatalf("error %v is not ErrNoAdapter", err)
		}
		t.Logf("child: %v", err)
		// Without a backend restriction wgpu may still find another one (GL).
		if d, err := gpu.Open(gpu.Options{}); err == nil {
			if d.Info.Backend == "vulkan" {
				t.Errorf("default Open found a Vulkan adapter (%s) without any Vulkan driver", d.Info)
			}
			d.Close()
		} else if !errors.Is(err, gpu.ErrNoAdapter) {
			t.Errorf("default Open: error %v is not ErrNoAdapter", err)
		}
		return
	}
	d, err := gpu.Open(gpu.Options{Backend: wgpu.BackendTypeVulkan})
	if err != nil {
		t.Skipf("no Vulkan adapter here to take away: %v", err)
	}
	if d.Info.Backend != "vulkan" {
		t.Errorf("Options{Backend: Vulkan} opened %s", d.Info)
	}
	d.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenFailsWithoutVulkanDriver$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envNoVulkanChild+"=1", "VK_ICD_FILENAMES=/nonexistent/icd.json", "VK_DRIVER_FILES=/nonexistent/icd.json")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child: ") {
		t.Fatalf("child test failed (%v):\n%s", err, out)
	}
}

// TestCreatePipelinesFailureKeepsNothing builds a batch whose middle
// pipeline does not compile: the error names it, and every layout, module
// and pipeline of the batch is released.
func TestCreatePipelinesFailureKeepsNothing(t *testing.T) {
	gputest.Device(t)
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	base := live(t, d)
	kinds := []gpu.BindingKind{gpu.ReadStorage, gpu.WriteStorage}
	_, err = d.CreatePipelines([]gpu.PipelineSpec{
		{Label: "good1", WGSL: doubleWGSL, Kinds: kinds},
		{Label: "bad-middle", WGSL: "fn main( {", Kinds: kinds},
		{Label: "good2", WGSL: doubleWGSL, Kinds: kinds},
	})
	if err == nil {
		t.Fatal("a batch with invalid WGSL compiled without error")
	}
	if !strings.Contains(err.Error(), "bad-middle") {
		t.Errorf("error %q does not name the failing pipeline", err)
	}
	for name, n := range live(t, d) {
		if n != base[name] {
			t.Errorf("%s: %d live after the failed batch, %d before", name, n, base[name])
		}
	}
}
