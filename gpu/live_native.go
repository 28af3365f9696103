//go:build !js && cgo

package gpu

/*
#include <stddef.h>
#include <stdint.h>

// These mirror WGPURegistryReport, WGPUHubReport and WGPUGlobalReport of
// lib/wgpu.h in github.com/cogentcore/webgpu v0.23.0 (wgpu-native), whose
// Go wrapper Instance.GenerateReport reads the hub named by backendType;
// that field does not match the hub wgpu-native fills (a Vulkan instance
// reports backendType OpenGL and fills the Vulkan hub), so the wrapper
// returns all zeros. Reading the C struct directly and summing every hub
// is immune to that mismatch.
typedef struct {
	size_t numAllocated, numKeptFromUser, numReleasedFromUser, numError, elementSize;
} lfRegistryReport;

typedef struct {
	lfRegistryReport r[16]; // adapters ... samplers, in wgpu.h order
} lfHubReport;

typedef struct {
	lfRegistryReport surfaces;
	uint32_t backendType;
	lfHubReport hubs[4]; // vulkan, metal, dx12, gl
} lfGlobalReport;

extern void wgpuGenerateReport(void *instance, lfGlobalReport *report);

static void lf_generate_report(void *instance, lfGlobalReport *report) {
	wgpuGenerateReport(instance, report);
}
*/
import "C"

import (
	"sync/atomic"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"
)

// registryNames are the resource types of a wgpu hub report, in order.
var registryNames = [16]string{
	"adapters", "devices", "queues", "pipeline_layouts", "shader_modules",
	"bind_group_layouts", "bind_groups", "command_buffers", "render_bundles",
	"render_pipelines", "compute_pipelines", "query_sets", "buffers",
	"textures", "texture_views", "samplers",
}

// openDevices counts the native devices opened and not yet closed.
var openDevices atomic.Int64

// OpenDevices returns how many devices (each with its own wgpu instance)
// this process has opened and not yet closed.
func OpenDevices() int { return int(openDevices.Load()) }

// LiveObjects returns, per resource type ("buffers", "bind_groups",
// "compute_pipelines", "textures", ...), how many objects of the device's
// wgpu instance the program still holds (created and not yet released), from
// wgpu-native's registry report. The bool is false on a closed device and in
// the browser, which has no such report.
func (d *Device) LiveObjects() (map[string]int, bool) {
	if d == nil {
		return nil, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.native.instance == nil {
		return nil, false
	}
	// wgpu.Instance is a struct holding only the C WGPUInstance handle.
	if unsafe.Sizeof(wgpu.Instance{}) != unsafe.Sizeof(unsafe.Pointer(nil)) {
		return nil, false
	}
	ref := *(*unsafe.Pointer)(unsafe.Pointer(d.native.instance))
	var r C.lfGlobalReport
	C.lf_generate_report(ref, &r)
	out := make(map[string]int, len(registryNames))
	for _, hub := range r.hubs {
		for i, name := range registryNames {
			out[name] += int(hub.r[i].numKeptFromUser)
		}
	}
	return out, true
}
