//go:build js || cgo

package kernels

import (
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
)

// TestSelectTarget checks the adapter-profile rules over the adapters the
// engine meets (as their drivers and browsers describe them) and the
// forced sets.
func TestSelectTarget(t *testing.T) {
	lavapipe := gpu.AdapterInfo{Description: "llvmpipe (LLVM 15.0.6, 256 bits) (vulkan, cpu)", Backend: "vulkan", Type: "cpu",
		Vendor: "0x10005", Features: []string{"shader-f16"}}
	for _, c := range []struct {
		name     string
		info     gpu.AdapterInfo
		features []string
		want     Set
		set      Set
		why      string
		f16, sg  bool
	}{
		{"lavapipe native", lavapipe, []string{"shader-f16"}, SetAuto, SetCPU, "CPU adapter", true, false},
		{"llvmpipe over GL, type unknown", gpu.AdapterInfo{Description: "llvmpipe (LLVM 15.0.6, 256 bits) (opengl, unknown type)", Backend: "opengl", Type: "unknown type"},
			nil, SetAuto, SetCPU, "CPU renderer llvmpipe", false, false},
		{"SwiftShader in Chromium", gpu.AdapterInfo{Description: "google swiftshader  (webgpu)", Backend: "webgpu", Type: "cpu", Vendor: "google", Architecture: "swiftshader", Fallback: true},
			nil, SetAuto, SetCPU, "software fallback adapter", false, false},
		{"SwiftShader not flagged", gpu.AdapterInfo{Description: "SwiftShader Device (Subzero)", Backend: "webgpu", Architecture: "swiftshader"},
			nil, SetAuto, SetCPU, "CPU renderer swiftshader", false, false},
		{"lavapipe via ANGLE in Chromium", gpu.AdapterInfo{Description: "ANGLE (Mesa, Vulkan 1.3.230 (llvmpipe (LLVM 15.0.6, 256 bits)), llvmpipe) (webgpu, compatibility mode)", Backend: "webgpu"},
			nil, SetAuto, SetCPU, "CPU renderer llvmpipe", false, false},
		{"WARP", gpu.AdapterInfo{Description: "Microsoft Basic Render Driver (d3d12, unknown type)", Backend: "d3d12", Type: "unknown type"},
			nil, SetAuto, SetCPU, "CPU renderer microsoft basic render", false, false},
		{"NVIDIA discrete", gpu.AdapterInfo{Description: "NVIDIA GeForce RTX 4070 (vulkan, discrete gpu)", Backend: "vulkan", Type: "discrete gpu", Vendor: "0x10de"},
			[]string{"shader-f16"}, SetAuto, SetGPU, "discrete gpu", true, false},
		{"Intel integrated", gpu.AdapterInfo{Description: "Intel(R) UHD Graphics 770 (vulkan, integrated gpu)", Backend: "vulkan", Type: "integrated gpu"},
			nil, SetAuto, SetGPU, "integrated gpu", false, false},
		{"browser GPU, type not reported", gpu.AdapterInfo{Description: "nvidia ampere  (webgpu)", Backend: "webgpu", Vendor: "nvidia", Architecture: "ampere"},
			[]string{"shader-f16", "subgroups"}, SetAuto, SetGPU, "assumed a GPU", true, true},
		{"empty info", gpu.AdapterInfo{}, nil, SetAuto, SetGPU, "assumed a GPU", false, false},
		{"unknown want is auto", lavapipe, nil, Set("fast"), SetCPU, "CPU adapter", false, false},
		{"forced gpu on lavapipe", lavapipe, nil, SetGPU, SetGPU, "forced", false, false},
		{"forced cpu on a GPU", gpu.AdapterInfo{Type: "discrete gpu"}, []string{"subgroups"}, SetCPU, SetCPU, "forced", false, true},
		{"unrelated features", gpu.AdapterInfo{Type: "discrete gpu"}, []string{"timestamp-query"}, SetAuto, SetGPU, "discrete gpu", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg, why := SelectTarget(Profile{Info: c.info, Features: c.features, MaxInvocations: 128}, c.want)
			if tg.Set != c.set || tg.F16 != c.f16 || tg.Subgroups != c.sg || tg.MaxInvocations != 128 || !strings.Contains(why, c.why) {
				t.Errorf("SelectTarget = %+v, %q; want set %s (f16 %v, subgroups %v) because %q", tg, why, c.set, c.f16, c.sg, c.why)
			}
		})
	}
}

// TestTargetCPUSetUnchanged checks that the CPU set's choices are the
// Choose functions' (the GPU set changes nothing for lavapipe) and that the
// GPU set picks cooperative tiles of 64–256 invocations of 4×4 or 8×4
// outputs, with at least the GPU's workgroup target where the output has
// room for it.
func TestTargetCPUSetUnchanged(t *testing.T) {
	cpu := Target{}
	for _, s := range pointwiseCases {
		m := s.n * s.h * s.w
		if got, want := cpu.Pointwise(m, s.k, s.cout, s.e), ChoosePointwise(m, s.k, s.cout, s.e); got != want {
			t.Errorf("CPU set pointwise %s ≠ %s", got.Label(), want.Label())
		}
		g := gpuSet.Pointwise(m, s.k, s.cout, s.e)
		checkCoopChoice(t, g.Label(), g.Tile, g.Coop, m, s.cout/4, s.k/4, 1)
	}
	for _, s := range convCases {
		if got, want := cpu.Conv(s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.e), ChooseConv(s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.e); got != want {
			t.Errorf("CPU set conv %s ≠ %s", got.Label(), want.Label())
		}
		g := gpuSet.Conv(s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.e)
		checkCoopChoice(t, g.Label(), g.Tile, g.Coop, g.Rows(), s.cout/4, s.k*s.k*s.cin/4, 1)
	}
	for _, s := range linearCases {
		e := Epilogue{Act: s.act}
		if got, want := cpu.Linear(s.batch, s.k, s.n, e), ChooseLinear(s.batch, s.k, s.n, e); got != want {
			t.Errorf("CPU set linear %s ≠ %s", got.Label(), want.Label())
		}
	}
	for _, s := range winogradCases {
		if got, want := cpu.Winograd(s.n, s.h, s.w, s.cin, s.cout, s.e), ChooseWinograd(s.n, s.h, s.w, s.cin, s.cout, s.e); got != want {
			t.Errorf("CPU set winograd %s ≠ %s", got.Gemm.Label(), want.Gemm.Label())
		}
		if got, want := cpu.UseWinograd(s.n, s.h, s.w, s.cin, s.cout, 3, 1), UseWinograd(s.h, s.w, s.cin, s.cout, 3, 1); got != want {
			t.Errorf("CPU set UseWinograd%v = %v, want %v", s, got, want)
		}
	}
}

// checkCoopChoice checks one GPU-set choice for an m×(4·n4) output with
// k4 vec4s along K: its shape, and at least the workgroup target, or as
// many workgroups as any tile that may split this K gives.
func checkCoopChoice(t *testing.T, label string, tile Tile, co Coop, m, n4, k4, batch int) {
	t.Helper()
	outs := tile.TM * tile.TN
	if !co.On() || tile.WG < 64 || tile.WG > 256 || (outs != 16 && outs != 32) {
		t.Errorf("%s: want a cooperative tile of 64–256 invocations × 4×4 or 8×4 outputs", label)
		return
	}
	groups := func(t Tile, c Coop) int { return batch * ceilDiv(m, c.WM*t.TM) * ceilDiv(n4, c.WN*t.TN/4) }
	room := 0
	for _, c := range coopTiles {
		if c.KS == 1 || k4 >= 2*c.KS*c.KC/4 {
			room = max(room, groups(c.Tile, c.Coop))
		}
	}
	if g := groups(tile, co); g < min(gpuGroupTarget, room) {
		t.Errorf("%s: %d workgroups where another tile gives %d (target %d)", label, g, room, gpuGroupTarget)
	}
}

// TestUseWinogradGPU checks where the GPU set keeps Winograd.
func TestUseWinogradGPU(t *testing.T) {
	for _, s := range []struct {
		n, h, w, cin, cout int
		want               bool
	}{
		{1, 14, 14, 128, 512, true}, // B0 stage 3, 231 MFLOP
		{1, 7, 7, 128, 256, false},  // B0 stage 4 at batch 1, 29 MFLOP: two more dispatches cost more
		{2, 7, 7, 128, 256, false},  // 58 MFLOP
		{4, 7, 7, 128, 256, true},   // 116 MFLOP
		{32, 7, 7, 128, 256, true},  // batch 32
		{8, 28, 28, 32, 32, false},  // cin·cout < 32·(cin+cout): the scratch traffic outweighs the saving
		{1, 56, 56, 64, 64, true},   // 231 MFLOP, 64→64
		{1, 14, 14, 32, 64, false},  // the CPU rule already says no (cin < 64)
		{4, 3, 2, 128, 512, false},  // image below 4×4
	} {
		if got := gpuSet.UseWinograd(s.n, s.h, s.w, s.cin, s.cout, 3, 1); got != s.want {
			t.Errorf("GPU set UseWinograd%+v = %v, want %v", s, got, s.want)
		}
	}
}

// TestGPUSetLimits checks that the GPU set stays within a device's
// workgroup limits: a compatibility-mode adapter may allow 128 invocations.
func TestGPUSetLimits(t *testing.T) {
	for _, lim := range []Target{
		{Set: SetGPU, MaxInvocations: 128},
		{Set: SetGPU, MaxInvocations: 64, MaxWorkgroupStorage: 8192},
	} {
		for _, s := range pointwiseCases {
			k := lim.Pointwise(s.n*s.h*s.w, s.k, s.cout, s.e)
			if !lim.fits(k.WG, k.Coop.sharedBytes(k.Tile)) {
				t.Errorf("limits %d invocations, %d bytes: chose %s", lim.MaxInvocations, lim.MaxWorkgroupStorage, k.Label())
			}
		}
	}
	if k := gpuSet.Pointwise(3136, 64, 256, Epilogue{}); k.WG != 256 {
		t.Errorf("default limits: %s, want the 256-invocation 64×64 block for a 3136×256 output", k.Label())
	}
}

// TestCoopTilesShared pins the workgroup memory of the GPU set's tiles
// (the numbers coopTiles' comment gives).
func TestCoopTilesShared(t *testing.T) {
	want := []int{8192, 6144, 8192, 8192, 7168}
	for i, c := range coopTiles {
		if got := c.sharedBytes(c.Tile); got != want[i] {
			t.Errorf("%s%s: %d bytes of workgroup memory, want %d", c.Tile, c.label(), got, want[i])
		}
		if err := c.Coop.validate(c.Tile); err != nil {
			t.Errorf("%s%s: %v", c.Tile, c.label(), err)
		}
	}
}
