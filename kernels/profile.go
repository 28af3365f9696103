//go:build js || cgo

package kernels

import (
	"strings"

	"github.com/lowformer/lowformer-webgpu/gpu"
)

// SetAuto asks SelectTarget to choose the set from the adapter.
const SetAuto Set = "auto"

// softwareAdapters are the names, in lower case, of the CPU renderers that
// implement WebGPU (lavapipe/llvmpipe through Vulkan or GL, SwiftShader in
// Chromium, softpipe, Windows' WARP): an adapter whose description,
// vendor, architecture or name contains one is a CPU whatever its type says
// (in the browser the type is not reported; lavapipe there is an ANGLE
// adapter described as "ANGLE (Mesa, Vulkan 1.3.230 (llvmpipe …))").
var softwareAdapters = []string{"llvmpipe", "lavapipe", "swiftshader", "softpipe", "microsoft basic render"}

// Profile is what the kernel choice knows of a device: the adapter's
// description, type, vendor, architecture and backend (Info), the optional
// features enabled on the device (gpu.Device.Features) and its workgroup
// limits.
type Profile struct {
	Info                                gpu.AdapterInfo
	Features                            []string
	MaxInvocations, MaxWorkgroupStorage int
}

// ProfileOf is the profile of an open device.
func ProfileOf(d *gpu.Device) Profile {
	return Profile{Info: d.Info, Features: d.Features,
		MaxInvocations: int(d.Limits.MaxComputeInvocationsPerWorkgroup), MaxWorkgroupStorage: int(d.Limits.MaxComputeWorkgroupStorageSize)}
}

// SelectTarget chooses the kernel target for a device of profile p: want
// is SetCPU or SetGPU to force that set, SetAuto to choose from the
// adapter (an invalid want is SetAuto). It returns the target (with the
// features and limits of p) and why that set, for reports. With SetAuto
// the rules, first match wins:
//
//   - a software fallback adapter → cpu;
//   - an adapter of type "cpu" → cpu;
//   - a description, vendor, architecture or name naming a CPU renderer
//     (llvmpipe, lavapipe, SwiftShader, softpipe, WARP) → cpu;
//   - an integrated or discrete GPU → gpu;
//   - otherwise (the browser does not report the type, and native drivers
//     may say "unknown") → gpu: an adapter that is neither a fallback nor a
//     known CPU renderer is a hardware GPU in practice, and the gpu set is
//     correct on any adapter, only slower on a CPU.
func SelectTarget(p Profile, want Set) (Target, string) {
	t := Target{MaxInvocations: p.MaxInvocations, MaxWorkgroupStorage: p.MaxWorkgroupStorage}
	for _, f := range p.Features {
		switch f {
		case gpu.FeatureShaderF16:
			t.F16 = true
		case gpu.FeatureSubgroups:
			t.Subgroups = true
		}
	}
	var why string
	switch want {
	case SetCPU, SetGPU:
		t.Set, why = want, "forced"
	default:
		t.Set, why = autoSet(p.Info)
	}
	return t, why
}

// autoSet is SelectTarget's choice for SetAuto.
func autoSet(info gpu.AdapterInfo) (Set, string) {
	if info.Fallback {
		return SetCPU, "software fallback adapter"
	}
	if info.Type == "cpu" {
		return SetCPU, "CPU adapter"
	}
	for _, s := range []string{info.Description, info.Vendor, info.Architecture, info.Name} {
		ls := strings.ToLower(s)
		for _, name := range softwareAdapters {
			if strings.Contains(ls, name) {
				return SetCPU, "CPU renderer " + name
			}
		}
	}
	switch info.Type {
	case "integrated gpu", "discrete gpu":
		return SetGPU, info.Type
	}
	return SetGPU, "adapter type not reported, not a known CPU renderer: assumed a GPU"
}
